"""The shape of every Graph call: a typed, immutable method object executed by a session.

A method names its HTTP verb, its path under the versioned base URL, its parameters and how
to read the answer; it turns itself into a transport-neutral :class:`Request`. The session
does the I/O and the error mapping, the client adds credentials and quick retries.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

R = TypeVar("R")
HttpMethod = Literal["GET", "POST", "DELETE"]


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file sent as a multipart part (Attachment Upload's `filedata`)."""

    filename: str
    data: bytes = field(repr=False)
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Request:
    """One Graph call, described: `params` go in the query for GET, in the body otherwise."""

    http_method: HttpMethod
    path: str
    params: dict[str, Any]
    files: dict[str, FilePart] | None = None


class GraphMethod(BaseModel, Generic[R]):
    """Base of the Graph calls: subclasses declare arguments as fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    __http_method__: ClassVar[HttpMethod] = "POST"

    @abstractmethod
    def path(self) -> str:
        """Path below `/vNN.N/`, e.g. `me/messages`."""

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Query parameters (GET) or body fields (POST, DELETE); never credentials."""

    def files(self) -> dict[str, FilePart] | None:
        """Multipart file parts; any switches the body to multipart."""
        return None

    def build_request(self) -> Request:
        return Request(self.__http_method__, self.path(), self.params(), self.files())

    @abstractmethod
    def build_result(self, data: Any) -> R:
        """Turn the decoded success answer into the method's return type."""
