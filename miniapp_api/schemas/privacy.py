"""Request and response models of the privacy routes: consents, data export, erasure, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from miniapp_api.schemas.requests import In
from miniapp_api.schemas.responses import Out

Purpose = Literal["membership_phone", "marketing"]


class ConsentIn(In):
    purpose: Purpose
    granted: bool
    text_version: str | None = Field(
        None,
        max_length=16,
        pattern=r"^[0-9a-f]{1,16}$",
        description="the `text_version` of the text shown (from GET /v1/me/consents); "
        "required to grant, so a grant is only recorded for the text the person saw",
    )


class ConsentOut(Out):
    purpose: Purpose
    granted: bool
    text: str = Field(description="the text to show for this purpose now")
    text_version: str = Field(description="its fingerprint: send it back when granting")
    updated_at: datetime | None = Field(description="the last decision, null if never asked")
    channel: str | None
    method: str | None
    granted_text_version: str | None = Field(
        description="the version of the text of the last decision"
    )


class ConsentsOut(Out):
    items: list[ConsentOut]
    marketing_opt_in: bool


class DataOut(Out):
    """Everything held about the person (shared/CONTRACT.md `GET /api/v1/me/data`)."""

    exported_at: datetime
    profile: dict[str, Any]
    merged_member_codes: list[str]
    identities: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    points: list[dict[str, Any]]
    vouchers: list[dict[str, Any]]
    plays: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    messages_received: list[dict[str, Any]]
    messages_sent: list[dict[str, Any]]


class ErasedOut(Out):
    status: Literal["erased"] = "erased"
    erased_at: datetime
    already: bool = Field(description="true when the member had been erased before")


class AuditQuery(In):
    actor: str | None = Field(None, max_length=64, description="actor id, e.g. key:1a2b3c4d")
    action: str | None = Field(
        None, max_length=96, description="starts with, e.g. `POST /v1/admin/orders`"
    )
    target: str | None = Field(None, max_length=128, description="exact target")
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = Field(None, ge=1, description="cursor: entries older than this id")
    limit: int = Field(50, ge=1, le=500)


class AuditEntryOut(Out):
    id: int
    at: datetime
    actor_kind: str
    actor_id: str
    actor_role: str
    source: str
    action: str
    target: str
    status: int
    detail: dict[str, Any] | None


class AuditPageOut(Out):
    items: list[AuditEntryOut]
    next_cursor: int | None = Field(description="pass as `before` for the next page")
