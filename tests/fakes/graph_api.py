"""Entry point for the fake Graph API; the implementation lives in `tests.fakes.graph`."""

from __future__ import annotations

from tests.fakes.graph import (
    Attachment,
    Delivery,
    FakeGraph,
    FakeUser,
    GraphError,
    RecordedRequest,
    Sent,
    new_mid,
)

__all__ = [
    "Attachment",
    "Delivery",
    "FakeGraph",
    "FakeUser",
    "GraphError",
    "RecordedRequest",
    "Sent",
    "new_mid",
]
