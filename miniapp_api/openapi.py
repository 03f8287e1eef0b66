"""OpenAPI 3.1 document generated from the route registry and the pydantic models.

Nothing here is written by hand per route: paths, parameters, bodies, responses and error
codes all come from the `@api.route(...)` declarations, and `components.schemas` from the
models' own JSON Schema. `/api/docs` is a small self-contained page (no CDN) that reads it.
"""

from __future__ import annotations

import inspect
import json
import re
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.web.security import html_policy, inline_hashes
from miniapp_api.registry import ApiRegistry, Route, api
from miniapp_api.schemas import Problem

REF = "#/components/schemas/{model}"
DOCS_HTML = Path(__file__).with_name("docs.html")
PROBLEM_JSON = "application/problem+json"
_PARAM = re.compile(r"{(\w+)}")


def _models(registry: ApiRegistry) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    found: dict[tuple[type[BaseModel], str], None] = {(Problem, "serialization"): None}
    for r in registry.routes:
        if r.body is not None:
            found[(r.body, "validation")] = None
        for model in r.responses.values():
            found[(model, "serialization")] = None
    return list(found)  # type: ignore[arg-type]


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        out.append(param)
    return out


def _error_responses(route: Route) -> dict[str, Any]:
    errors: dict[int, list[str]] = {s: list(c) for s, c in route.errors.items()}

    def add(status: int, *codes: str) -> None:
        bucket = errors.setdefault(status, [])
        bucket.extend(c for c in codes if c not in bucket)

    if route.auth == "member":
        add(401, "missing_session", "invalid_session", "session_expired")
        add(429, "rate_limited")
    if route.auth == "admin":
        add(401, "invalid_api_key")
        add(403, "admin_disabled")
        add(429, "too_many_failures")  # miniapp_api.audit: repeated wrong keys
    if route.body is not None:
        add(400, "invalid_json")
        add(415, "unsupported_media_type")
        add(422, "validation_error")
    if route.query is not None:
        add(400, "invalid_query")
    if route.params is not None:
        add(404, "not_found")
    out = {}
    for status in sorted(errors):
        codes = ", ".join(f"`{c}`" for c in errors[status])
        out[str(status)] = {
            "description": f"problem+json; code: {codes}",
            "content": {PROBLEM_JSON: {"schema": {"$ref": REF.format(model="Problem")}}},
        }
    return out


def _operation(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.tag],
    }
    if route.description:
        op["description"] = inspect.cleandoc(route.description)
    params = _parameters(route.params, "path") + _parameters(route.query, "query")
    for h in route.headers:
        params.append(
            {
                "name": h.name,
                "in": "header",
                "required": False,
                "description": h.description,
                "schema": {"type": "string", "minLength": 1, "maxLength": h.max_length},
            }
        )
    if params:
        op["parameters"] = params
    if route.body is not None:
        schema_ref = refs[(route.body, "validation")]
        required = bool(route.body.model_json_schema().get("required"))
        op["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": schema_ref}},
        }
    responses: dict[str, Any] = {}
    for status, model in sorted(route.responses.items()):
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": refs[(model, "serialization")]}},
        }
    if route.raw_response is not None:
        status, media_type, description = route.raw_response
        responses[str(status)] = {
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    responses.update(_error_responses(route))
    op["responses"] = responses
    if route.auth == "member":
        op["security"] = [{"session": []}]
    elif route.auth == "admin":
        op["security"] = [{"apiKey": []}]
    return op


def build_document(registry: ApiRegistry = api, *, server_url: str = "") -> dict[str, Any]:
    refs, defs = models_json_schema(_models(registry), ref_template=REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for route in registry.routes:
        declared = set(_PARAM.findall(route.path))
        given = set(route.params.model_fields) if route.params else set()
        if declared != given:
            raise ValueError(f"{route.name}: path parameters {declared} but model has {given}")
        paths.setdefault(route.full_path, {})[route.method.lower()] = _operation(route, refs)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty bot API",
            "version": "1",
            "description": "Zalo Mini App membership card, games, and the admin/POS API. "
            "Every error is application/problem+json with a stable `code`.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "the `token` from POST /api/v1/session",
                },
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


@cache
def _document_bytes(server_url: str) -> bytes:
    return json.dumps(build_document(server_url=server_url), ensure_ascii=False).encode()


async def openapi_json(request: web.Request) -> web.Response:
    from bot.appkeys import SETTINGS

    body = _document_bytes(request.app[SETTINGS].PUBLIC_BASE_URL)
    return web.Response(body=body, content_type="application/json")


@cache
def _docs() -> tuple[bytes, str]:
    """The page and its Content-Security-Policy: its one inline script and style block are
    allowed by hash, nothing else inline (see `bot.web.security`)."""
    html = DOCS_HTML.read_text(encoding="utf-8")
    scripts, styles = inline_hashes(html)
    return html.encode(), html_policy(script_hashes=scripts, style_hashes=styles)


async def docs_page(request: web.Request) -> web.Response:
    body, policy = _docs()
    return web.Response(
        body=body,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": policy},
    )


def setup_openapi(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi_json, name="openapi_json")
    app.router.add_get("/api/docs", docs_page, name="api_docs")
