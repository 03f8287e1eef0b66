"""Broadcast routes (contract "Second slice"): create (or dry-run), read, cancel.

A broadcast is sent by the worker's scheduler (`bot.outreach.scheduler`), not in the request:
creating one answers at once with its audience; `GET` shows the counts as they move.
Managers and owners may create and cancel; staff may read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Broadcast
from bot.outreach import audience
from bot.outreach import broadcasts as bc
from bot.outreach.policy import rules_from
from bot.web.problems import ApiError
from miniapp_api import audit, auth
from miniapp_api.calls import Call
from miniapp_api.registry import Header, Reply, api
from miniapp_api.views.admin import ADMIN_ERRORS

IDEMPOTENCY = Header(
    "Idempotency-Key",
    "any unique string (≤128 characters) per intended broadcast: a retry with the same key "
    "returns the first broadcast instead of creating another",
)
ROLE_ERRORS = {**ADMIN_ERRORS, 403: ("admin_disabled", "forbidden_role")}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageIn(_Strict):
    text: str = Field(min_length=1, max_length=bc.TEXT_MAX)
    image: str | None = Field(None, max_length=500, pattern=r"^https?://")
    zns_template: str | None = Field(None, max_length=40)
    voucher: dict[str, Any] | None = None  # {value, valid_days, kind?, min_order?, title?}


class BroadcastIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    segment: str = Field(min_length=1, max_length=64)
    message: MessageIn
    purpose: Literal["promotion", "update"]
    send_at: datetime | None = None


class DryRunQuery(_Strict):
    dry_run: bool = False


class BroadcastPath(_Strict):
    id: int = Field(ge=1)


class CreatedOut(BaseModel):
    id: int
    status: str
    audience: int


class DryRunOut(BaseModel):
    audience: int
    would_send: int
    would_send_by_channel: dict[str, int]
    would_skip: dict[str, int]


class StatusOut(BaseModel):
    id: int
    name: str
    segment: str
    purpose: str
    status: str
    send_at: str | None
    audience: int
    sent: int
    failed: int
    skipped: dict[str, int]
    pending: int


def _spec(body: BroadcastIn) -> bc.Spec:
    send_at = body.send_at
    if send_at is not None and send_at.tzinfo is None:
        raise ApiError(
            422, "invalid_send_at", "send_at needs a time zone, e.g. 2026-05-04T09:00:00+07:00"
        )
    return bc.Spec(
        name=body.name,
        segment=body.segment,
        purpose=body.purpose,
        text=body.message.text,
        image=body.message.image,
        send_at=send_at,
        zns_template=body.message.zns_template,
        voucher=body.message.voucher,
    )


def _api_error(exc: bc.BroadcastError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.detail)


@api.route(
    "POST",
    "/v1/admin/broadcasts",
    summary="Create a broadcast to a segment (or dry-run it)",
    tag="admin",
    auth="admin",
    body=BroadcastIn,
    query=DryRunQuery,
    headers=[IDEMPOTENCY],
    responses={201: CreatedOut, 200: DryRunOut},
    errors={
        **ROLE_ERRORS,
        422: (
            "validation_error",
            "unknown_segment",
            "invalid_purpose",
            "invalid_message",
            "unknown_template",
            "invalid_voucher",
            "invalid_send_at",
        ),
    },
)
async def create_broadcast(call: Call) -> Reply:
    """`?dry_run=true`: counts per channel and per skip reason, nothing written. Otherwise
    201 `{id, status, audience}`; the same `Idempotency-Key` answers with the first one."""
    auth.require_role(call.request, "manager")
    spec = _spec(call.body)
    rules = rules_from(call.content.outreach, call.settings.OUTREACH_CHANNEL_ORDER)
    now = datetime.now(UTC)
    try:
        if call.query.dry_run:
            out = await bc.dry_run(spec, content=call.content, rules=rules, now=now)
            return Reply(DryRunOut(**out))
        row, _ = await bc.create(
            spec,
            content=call.content,
            rules=rules,
            now=now,
            idempotency_key=call.header("Idempotency-Key"),
        )
    except bc.BroadcastError as exc:
        raise _api_error(exc) from None
    audit.note(call.request, target=f"broadcast={row.id}")
    total = row.audience if row.frozen_at is not None else await audience.count(row.segment)
    return Reply(CreatedOut(id=row.id, status=row.status, audience=total), status=201)


async def _get(call: Call) -> Broadcast:
    row = await Broadcast.get_or_none(id=call.params.id)
    if row is None:
        raise ApiError(404, "broadcast_not_found", f"no broadcast {call.params.id}")
    return row


@api.route(
    "GET",
    "/v1/admin/broadcasts/{id}",
    summary="A broadcast's status and counts (sent + failed + skipped + pending = audience)",
    tag="admin",
    auth="admin",
    params=BroadcastPath,
    responses={200: StatusOut},
    errors={**ADMIN_ERRORS, 404: ("broadcast_not_found",)},
)
async def get_broadcast(call: Call) -> Reply:
    return Reply(StatusOut(**await bc.status(await _get(call))))


@api.route(
    "POST",
    "/v1/admin/broadcasts/{id}/cancel",
    summary="Cancel what is not sent yet",
    tag="admin",
    auth="admin",
    params=BroadcastPath,
    responses={200: StatusOut},
    errors={**ROLE_ERRORS, 404: ("broadcast_not_found",), 409: ("broadcast_finished",)},
)
async def cancel_broadcast(call: Call) -> Reply:
    auth.require_role(call.request, "manager")
    row = await _get(call)
    audit.note(call.request, target=f"broadcast={row.id}")
    try:
        row = await bc.cancel(row, now=datetime.now(UTC))
    except bc.BroadcastError as exc:
        raise _api_error(exc) from None
    return Reply(StatusOut(**await bc.status(row)))
