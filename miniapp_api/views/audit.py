"""`GET /api/v1/admin/audit`: the audit log, newest first, for the owner only."""

from __future__ import annotations

from loyalty.models import AuditEntry
from miniapp_api import auth
from miniapp_api.calls import Call
from miniapp_api.registry import Reply, api
from miniapp_api.schemas import privacy as p
from miniapp_api.views.privacy import ROLE_ERRORS


@api.route(
    "GET",
    "/v1/admin/audit",
    summary="The audit log of admin writes (owner only)",
    tag="admin",
    auth="admin",
    query=p.AuditQuery,
    responses={200: p.AuditPageOut},
    errors={**ROLE_ERRORS, 400: ("invalid_query",)},
)
async def audit_log(call: Call) -> Reply:
    """Filter by `actor` (id), `action` (prefix, e.g. `POST /v1/admin/orders`), `target`,
    `since` and `until`; page with `limit` and `before` (the `next_cursor` of the page
    before). Entries cannot be changed or deleted."""
    auth.require_role(call.request, "owner")
    q: p.AuditQuery = call.query
    rows = AuditEntry.all()
    if q.actor:
        rows = rows.filter(actor_id=q.actor)
    if q.action:
        rows = rows.filter(action__startswith=q.action)
    if q.target:
        rows = rows.filter(target=q.target)
    if q.since:
        rows = rows.filter(at__gte=q.since)
    if q.until:
        rows = rows.filter(at__lt=q.until)
    if q.before:
        rows = rows.filter(id__lt=q.before)
    found = await rows.order_by("-id").limit(q.limit + 1)
    page = found[: q.limit]
    items = [p.AuditEntryOut.model_validate(row) for row in page]
    cursor = page[-1].id if len(found) > q.limit else None
    return Reply(
        p.AuditPageOut(items=items, next_cursor=cursor), headers={"Cache-Control": "no-store"}
    )
