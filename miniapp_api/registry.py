"""One declaration per route: what it takes, what it answers, who may call it.

Views are plain `async def view(call: Call) -> Reply`. The `@api.route(...)` decorator records
the method, path, models and error codes once; `routes.setup_api` mounts the wrapped view and
`openapi.build_document` writes the OpenAPI document from the same records, so the document
cannot drift from what the server really validates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

Auth = Literal["none", "member", "admin"]


@dataclass(frozen=True, slots=True)
class Header:
    """A request header a route reads (documented as an OpenAPI header parameter)."""

    name: str
    description: str
    max_length: int = 128


@dataclass(slots=True)
class Reply:
    """A view's answer: a response model (or raw bytes), a status and extra headers."""

    body: BaseModel | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # without the `/api` mount point, e.g. `/v1/me/card`
    name: str
    summary: str
    view: Callable[..., Awaitable[Any]]
    tag: str
    auth: Auth = "none"
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    params: type[BaseModel] | None = None  # path parameters, validated like a body
    headers: tuple[Header, ...] = ()
    responses: Mapping[int, type[BaseModel]] = field(default_factory=dict)
    raw_response: tuple[int, str, str] | None = None  # (status, media type, description)
    errors: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""

    @property
    def full_path(self) -> str:
        return "/api" + self.path


class ApiRegistry:
    """Collects the routes of every view module in declaration order."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        auth: Auth = "none",
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        params: type[BaseModel] | None = None,
        headers: Sequence[Header] = (),
        responses: Mapping[int, type[BaseModel]] | None = None,
        raw_response: tuple[int, str, str] | None = None,
        errors: Mapping[int, Sequence[str]] | None = None,
        description: str = "",
    ) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
        def register(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            self.routes.append(
                Route(
                    method=method.upper(),
                    path=path,
                    name=view.__name__,
                    summary=summary,
                    view=view,
                    tag=tag,
                    auth=auth,
                    body=body,
                    query=query,
                    params=params,
                    headers=tuple(headers),
                    responses=dict(responses or {}),
                    raw_response=raw_response,
                    errors={k: tuple(v) for k, v in (errors or {}).items()},
                    description=description or (view.__doc__ or "").strip(),
                )
            )
            return view

        return register


api = ApiRegistry()


def mount(app: web.Application, handler_for: Callable[[Route], Any]) -> None:
    """Add every registered route to `app`, each wrapped by `handler_for(route)`."""
    for route in api.routes:
        name = f"api_{route.name}"  # aiohttp route names are app-wide: keep ours apart
        app.router.add_route(route.method, route.full_path, handler_for(route), name=name)
