"""Campaigns → Broadcasts: the list, compose (live preview, dry run, create now or at a
time), the progress page and cancel with a confirmation. Owner and manager only.

A client of `bot.outreach.broadcasts` exactly like `POST /api/v1/admin/broadcasts`: the same
`Spec`, `check`, `dry_run`, `create` (with an idempotency key, so a double-clicked form
creates one broadcast), `status` and `cancel`; the progress page polls the API's
`GET /api/v1/admin/broadcasts/{id}`. Writes are recorded in the audit log.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.appkeys import CHANNELS, CONTENT, SETTINGS
from bot.console import preview
from bot.console.guard import FORM, page
from bot.console.pages import VN
from bot.console.ui import not_found, show
from bot.models import Broadcast
from bot.outreach import broadcasts as bc
from bot.outreach.policy import Rules, rules_from
from loyalty.segments import read
from miniapp_api import audit
from miniapp_api.auth import actor_of

SOURCE = "console"
LIST_SIZE = 50
IMAGE = re.compile(r"^https?://\S+$")
IDEM = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LIVE = ("scheduled", "waiting", "sending")
ERRORS = {
    "unknown_segment": "Phân khúc này không có.",
    "invalid_purpose": "Mục đích phải là khuyến mãi hoặc cập nhật.",
    "invalid_message": "Nội dung tin có chỗ điền không hợp lệ: chỉ dùng {name}, {shop}, "
    "{points}, {tier}, mỗi chỗ một cặp ngoặc nhọn.",
    "unknown_template": "Mẫu ZNS không có trong tệp nội dung.",
    "invalid_voucher": "Voucher không hợp lệ.",
    "name": "Hãy đặt tên cho đợt gửi (tối đa 200 ký tự).",
    "text": f"Hãy viết nội dung tin (tối đa {bc.TEXT_MAX} ký tự).",
    "image": "Ảnh phải là một liên kết http:// hoặc https:// (tối đa 500 ký tự).",
    "send_at": "Thời điểm gửi không hợp lệ: chọn ngày và giờ.",
}


@dataclass(slots=True)
class Draft:
    """The compose form's fields as typed (kept when the page is shown again)."""

    name: str = ""
    segment: str = "all"
    purpose: str = "promotion"
    text: str = ""
    image: str = ""
    send_at: str = ""  # `YYYY-MM-DDTHH:MM`, Vietnam time (a datetime-local input)
    idem: str = ""


def _draft(form: dict[str, Any]) -> Draft:
    def field(name: str, limit: int) -> str:
        return str(form.get(name) or "").replace("\r\n", "\n").strip()[:limit]

    return Draft(
        name=field("name", 400),
        segment=field("segment", 64),
        purpose=field("purpose", 16),
        text=field("text", bc.TEXT_MAX * 2),
        image=field("image", 1000),
        send_at=field("send_at", 32),
        idem=field("idem", 64),
    )


def _spec(draft: Draft) -> tuple[bc.Spec | None, list[str]]:
    """The service's `Spec`, or the fields wrong (the API schema's own limits)."""
    wrong = []
    if not 1 <= len(draft.name) <= 200:
        wrong.append("name")
    if not 1 <= len(draft.text) <= bc.TEXT_MAX:
        wrong.append("text")
    if draft.image and (len(draft.image) > 500 or not IMAGE.match(draft.image)):
        wrong.append("image")
    send_at = None
    if draft.send_at:
        try:
            send_at = datetime.fromisoformat(draft.send_at).replace(tzinfo=VN)
        except ValueError:
            wrong.append("send_at")
    if wrong:
        return None, wrong
    purpose: Any = draft.purpose
    spec = bc.Spec(
        name=draft.name,
        segment=draft.segment,
        purpose=purpose,
        text=draft.text,
        image=draft.image or None,
        send_at=send_at,
    )
    return spec, []


def _rules(request: web.Request) -> Rules:
    content = request.app[CONTENT].current
    return rules_from(content.outreach, request.app[SETTINGS].OUTREACH_CHANNEL_ORDER)


async def _segments(request: web.Request) -> list[read.SegmentSummary]:
    return await read.list_segments(request.app[CONTENT].current.segment_spec())


async def _compose(
    request: web.Request,
    draft: Draft,
    *,
    errors: list[str] | None = None,
    dry: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    draft.idem = draft.idem if IDEM.match(draft.idem) else secrets.token_urlsafe(16)
    spec, _ = _spec(draft)
    shown = None
    if spec is not None:
        content = request.app[CONTENT].current
        shown = await preview.build(spec, content, request.app[CHANNELS])
    return show(
        request,
        "broadcast_new.html",
        status=status,
        title="Soạn tin gửi hàng loạt",
        draft=draft,
        segments=await _segments(request),
        errors=[ERRORS.get(e, e) for e in errors or []],
        dry=dry,
        preview=shown,
        preview_errors=[],
    )


@page("manager")
async def compose_page(request: web.Request) -> web.StreamResponse:
    draft = Draft(segment=request.query.get("segment", "all")[:64])
    return await _compose(request, draft)


@page("manager")
async def compose_submit(request: web.Request) -> web.StreamResponse:
    """`action=dry_run`: the counts, nothing written; otherwise create and go to progress."""
    draft = _draft(request[FORM])
    spec, wrong = _spec(draft)
    if spec is None:
        return await _compose(request, draft, errors=wrong, status=422)
    content = request.app[CONTENT].current
    now = datetime.now(UTC)
    try:
        if request[FORM].get("action") == "dry_run":
            dry = await bc.dry_run(spec, content=content, rules=_rules(request), now=now)
            return await _compose(request, draft, dry=dry)
        row, created = await bc.create(
            spec,
            content=content,
            rules=_rules(request),
            now=now,
            idempotency_key=f"console:{draft.idem}" if IDEM.match(draft.idem) else None,
        )
    except bc.BroadcastError as exc:
        return await _compose(request, draft, errors=[exc.code], status=exc.status)
    await audit.record(
        actor_of(request),
        "POST /admin/campaigns/broadcasts",
        target=f"broadcast={row.id}",
        status=303,
        detail={
            "segment": row.segment,
            "purpose": row.purpose,
            "status": row.status,
            "send_at": row.send_at.isoformat() if row.send_at else None,
            "created": created,
        },
        source=SOURCE,
    )
    raise web.HTTPSeeOther(f"/admin/campaigns/broadcasts/{row.id}")


@page("manager")
async def preview_fragment(request: web.Request) -> web.StreamResponse:
    """The compose page's live preview (an HTML fragment the page's script puts in place)."""
    draft = _draft(request[FORM])
    spec, wrong = _spec(draft)
    shown = None
    if spec is not None:
        content = request.app[CONTENT].current
        shown = await preview.build(spec, content, request.app[CHANNELS])
    return show(
        request,
        "broadcast_preview.html",
        title="",
        preview=shown,
        preview_errors=[ERRORS.get(e, e) for e in wrong if e != "name"],
    )


@page("manager")
async def list_page(request: web.Request) -> web.StreamResponse:
    rows = await Broadcast.all().order_by("-id").limit(LIST_SIZE)
    names = {s.id: s.name for s in await _segments(request)}
    items = [await bc.status(row) for row in rows]
    return show(
        request,
        "broadcasts.html",
        title="Tin gửi hàng loạt",
        items=items,
        names=names,
        created={row.id: row.created_at for row in rows},
    )


async def _broadcast_or_404(request: web.Request) -> Broadcast:
    raw = request.match_info["id"]
    row = await Broadcast.get_or_none(id=int(raw)) if raw.isdigit() else None
    if row is None:
        raise not_found(request, "Không có đợt gửi này.")
    return row


async def _progress(
    request: web.Request, row: Broadcast, *, error: str = "", status: int = 200
) -> web.Response:
    st = await bc.status(row)
    names = {s.id: s.name for s in await _segments(request)}
    return show(
        request,
        "broadcast.html",
        status=status,
        title=row.name,
        st=st,
        row=row,
        segment_name=names.get(row.segment, row.segment),
        done_count=st["sent"] + st["failed"] + sum(st["skipped"].values()),
        live=row.status in LIVE,
        error=error,
        cancelled=request.query.get("cancelled") == "1",
    )


@page("manager")
async def progress_page(request: web.Request) -> web.StreamResponse:
    return await _progress(request, await _broadcast_or_404(request))


@page("manager")
async def cancel_confirm(request: web.Request) -> web.StreamResponse:
    row = await _broadcast_or_404(request)
    st = await bc.status(row)
    return show(
        request,
        "broadcast_cancel.html",
        title=f"Hủy {row.name}",
        row=row,
        st=st,
        live=row.status in LIVE,
    )


@page("manager")
async def cancel_submit(request: web.Request) -> web.StreamResponse:
    row = await _broadcast_or_404(request)
    before = row.status
    try:
        row = await bc.cancel(row, now=datetime.now(UTC))
    except bc.BroadcastError:
        return await _progress(
            request, row, status=409, error="Đợt gửi đã kết thúc: không còn gì để hủy."
        )
    st = await bc.status(row)
    await audit.record(
        actor_of(request),
        "POST /admin/campaigns/broadcasts/{id}/cancel",
        target=f"broadcast={row.id}",
        status=303,
        detail={"before": before, "after": row.status, "sent": st["sent"]},
        source=SOURCE,
    )
    raise web.HTTPSeeOther(f"/admin/campaigns/broadcasts/{row.id}?cancelled=1")


def running_summary(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For the dashboard: each live broadcast with how far it got (0-100)."""
    out = []
    for st in items:
        done = st["sent"] + st["failed"] + sum(st["skipped"].values())
        share = round(100 * done / st["audience"]) if st["audience"] else 0
        out.append({**st, "done": done, "percent": share})
    return out


async def running() -> list[dict[str, Any]]:
    rows = await Broadcast.filter(status__in=LIVE).order_by("id").limit(20)
    return running_summary([await bc.status(row) for row in rows])
