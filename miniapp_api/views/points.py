"""`POST /api/v1/admin/members/{key}/points`: a manual points correction with a reason.

The console's "adjust points" form and a POS call the same `loyalty.points.adjust`; the
audit middleware records it with the amount and the balance before and after.
"""

from __future__ import annotations

from pydantic import Field

from loyalty import members, points
from miniapp_api import audit, auth
from miniapp_api.calls import Call
from miniapp_api.registry import Reply, api
from miniapp_api.schemas import In, MemberKeyPath
from miniapp_api.schemas.responses import Out

MAX_ADJUST = 10_000_000


class AdjustIn(In):
    amount: int = Field(
        ge=-MAX_ADJUST, le=MAX_ADJUST, description="signed: +50 adds, -20 takes away; not 0"
    )
    reason: str = Field(min_length=1, max_length=200, description="why (kept in the ledger)")


class AdjustOut(Out):
    member_code: str
    amount: int
    balance_before: int
    balance: int


@api.route(
    "POST",
    "/v1/admin/members/{key}/points",
    summary="Adjust a member's points by hand, with a reason",
    tag="admin",
    auth="admin",
    params=MemberKeyPath,
    body=AdjustIn,
    responses={200: AdjustOut},
    errors={
        401: ("invalid_api_key",),
        403: ("admin_disabled", "forbidden_role"),
        404: ("member_not_found", "not_found"),
        409: ("insufficient_points",),
        422: ("validation_error", "invalid_amount", "invalid_phone", "invalid_input"),
    },
)
async def adjust_points(call: Call) -> Reply:
    """Needs the manager role. A take-away larger than the balance is refused (409
    `insufficient_points`); it does not count towards tiers. Not idempotent: each call is a
    ledger entry."""
    auth.require_role(call.request, "manager")
    body: AdjustIn = call.body
    member = await members.find(call.params.key)
    before = member.points_balance
    entry = await points.adjust(
        member, body.amount, reason=body.reason, config=call.content.loyalty
    )
    audit.note(
        call.request,
        target=f"member={member.member_code}",
        amount=body.amount,
        before=before,
        after=entry.balance_after,
    )
    out = AdjustOut(
        member_code=member.member_code,
        amount=body.amount,
        balance_before=before,
        balance=entry.balance_after,
    )
    return Reply(out)
