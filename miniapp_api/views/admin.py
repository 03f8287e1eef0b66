"""The admin / POS API behind `X-Api-Key`: orders, refunds, member look-up, voucher redeem.

Orders are idempotent by `order_id`: the first call answers 201, any repeat (even many at
once) changes nothing and answers 200 with the first result and `duplicate: true`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.web.problems import ApiError
from loyalty import codes, members, orders, tags, tiers, vouchers
from loyalty.errors import MemberNotFound, QrTokenExpired, QrTokenInvalid
from loyalty.models import Member
from loyalty.phone import is_phone_like
from loyalty.qr import resolve_qr_token
from miniapp_api import audit, auth
from miniapp_api import schemas as s
from miniapp_api.adapters import member_code_of
from miniapp_api.calls import Call
from miniapp_api.present import rfm_out, tier_out, voucher_out
from miniapp_api.registry import Reply, api

ADMIN_ERRORS = {401: ("invalid_api_key",), 403: ("admin_disabled",)}


def _is_qr_token(key: str) -> bool:
    return key.count(".") == 2 and len(key) > 40  # a member QR token (a JWT)


@api.route(
    "POST",
    "/v1/admin/orders",
    summary="Record a paid order: points and tier",
    tag="admin",
    auth="admin",
    body=s.OrderIn,
    responses={201: s.OrderOut, 200: s.OrderOut},
    errors={
        **ADMIN_ERRORS,
        404: ("member_not_found",),
        422: ("validation_error", "invalid_amount", "invalid_phone", "invalid_input"),
    },
)
async def record_order(call: Call) -> Reply:
    """Points = amount // `loyalty.vnd_per_point`; a tier reached is applied at once and its
    reward voucher issued once. The customer is found by `member_code`, or by `phone` (a new
    member is created for a phone the shop has not seen). 201 the first time; the same
    `order_id` again answers 200 with the first result."""
    body: s.OrderIn = call.body
    audit.note(call.request, target=f"order={body.order_id}")
    result = await orders.record_order(
        body.order_id,
        body.amount,
        config=call.content.loyalty,
        member_code=body.member_code,
        phone=body.phone,
        paid_at=body.paid_at,
        segments=call.content.segment_spec(),
    )
    data = result.as_dict()
    lowest = call.content.loyalty.tiers[0].name
    data["upgraded_from"] = (
        (data["upgraded_from"] or lowest) if result.upgraded_from is not None else None
    )
    data["tier"] = data["tier"] or lowest  # loyalty keeps "" until a member's first tier
    out = s.OrderOut(**data)
    return Reply(out, status=200 if result.duplicate else 201)


@api.route(
    "POST",
    "/v1/admin/orders/{order_id}/refund",
    summary="Refund a whole order: its points are taken back",
    tag="admin",
    auth="admin",
    params=s.OrderPath,
    responses={200: s.RefundOut},
    errors={
        **ADMIN_ERRORS,
        403: ("admin_disabled", "forbidden_role"),
        404: ("order_not_found", "not_found"),
    },
)
async def refund_order(call: Call) -> Reply:
    """Points already spent stay spent: the reversal stops at a zero balance and the rest is
    reported as `points_unrecovered`. The tier is lowered if the points no longer reach it.
    Refunding again changes nothing (`duplicate: true`). Needs the manager role."""
    auth.require_role(call.request, "manager")
    result = await orders.refund_order(
        call.params.order_id, config=call.content.loyalty, segments=call.content.segment_spec()
    )
    out = s.RefundOut(
        order_id=result.order_id,
        member_code=result.member_code,
        points_reversed=result.points_reversed,
        points_unrecovered=result.points_unrecovered,
        balance=result.balance,
        tier=result.tier,
        duplicate=result.duplicate,
    )
    return Reply(out)


async def _find(call: Call, key: str) -> Member:
    if _is_qr_token(key):
        try:
            code = resolve_qr_token(key, call.settings.session_secret())
        except QrTokenExpired:
            raise ApiError(410, "qr_token_expired", "the QR code has expired") from None
        except QrTokenInvalid:
            raise ApiError(422, "qr_token_invalid", "the QR code is not valid") from None
        return await members.get_by_code(code)
    if not is_phone_like(key) and len(codes.normalize(key)) > codes.MAX_LENGTH + 1:
        raise MemberNotFound(f"no member with code {key!r}")  # longer than any code can be
    return await members.find(key)


@api.route(
    "GET",
    "/v1/admin/members/{key}",
    summary="Look a member up by member code, phone or scanned QR token",
    tag="admin",
    auth="admin",
    params=s.MemberKeyPath,
    responses={200: s.AdminMemberOut},
    errors={
        **ADMIN_ERRORS,
        404: ("member_not_found", "not_found"),
        410: ("qr_token_expired",),
        422: ("qr_token_invalid", "invalid_phone"),
    },
)
async def member_profile(call: Call) -> Reply:
    """Phones may be written `84…`, `0…` or `+84…`. Profile, points, tier and vouchers, the
    RFM scores and segment (as of the last refresh, or the member's last order), tags, how
    the member first came (`source`) and the AIPL `stage`. A staff key sees the phone masked
    unless the member is in front of them (a scanned QR, or the number typed)."""
    key = call.params.key
    if _is_qr_token(key):
        key = _qr_code(call, key)
    elif not is_phone_like(key) and len(codes.normalize(key)) > codes.MAX_LENGTH + 1:
        raise MemberNotFound(f"no member with code {key!r}")  # longer than any code can be
    card = await members.card(key)
    in_front = _is_qr_token(call.params.key) or is_phone_like(key)
    config = call.content.loyalty
    r = tiers.rank(config, card.tier)  # as `tiers.progress`, without a Member object
    tier = config.tiers[r] if r >= 0 else config.tier_for(card.points_earned)
    nxt = next((t for t in config.tiers if t.min_points > tier.min_points), None)
    now = datetime.now(UTC)
    rfm = card.rfm
    if rfm is not None:
        stage = str(rfm["stage"])
    else:  # created since the last refresh, no order yet: worked out the same way
        stage = "I" if card.phone is not None or card.has_played else "A"
    out = s.AdminMemberOut(
        member_code=card.member_code,
        name=card.name,
        phone=auth.visible_phone(auth.actor_of(call.request), card.phone, in_front=in_front),
        marketing_opt_in=card.marketing_opt_in,
        points=card.points_balance,
        points_earned=card.points_earned,
        tier=tier_out(tier),
        next_tier=tier_out(nxt) if nxt else None,
        points_to_next=max(0, nxt.min_points - card.points_earned) if nxt else None,
        vouchers=[_card_voucher(v, now) for v in card.vouchers],
        created_at=card.created_at,
        rfm=rfm_out(rfm),
        tags=card.tags,
        source=card.source,
        stage=stage,
        birthday=card.birthday,
        orders=int(rfm["orders_total"]) if rfm else 0,
        spend=int(rfm["spend_total"]) if rfm else 0,
    )
    return Reply(out)


def _qr_code(call: Call, token: str) -> str:
    try:
        return resolve_qr_token(token, call.settings.session_secret())
    except QrTokenExpired:
        raise ApiError(410, "qr_token_expired", "the QR code has expired") from None
    except QrTokenInvalid:
        raise ApiError(422, "qr_token_invalid", "the QR code is not valid") from None


def _card_voucher(v: members.CardVoucher, now: datetime) -> s.VoucherOut:
    status = (
        "used"
        if v.redeemed_at is not None
        else ("expired" if v.expires_at <= now else "available")
    )
    return s.VoucherOut(
        code=v.code, title=v.title, kind=v.kind, value=v.value, min_order=v.min_order,
        source=v.source, status=status, issued_at=v.issued_at, expires_at=v.expires_at,
        redeemed_at=v.redeemed_at,
    )  # fmt: skip


TAG_ERRORS = {
    **ADMIN_ERRORS,
    404: ("member_not_found", "not_found"),
    410: ("qr_token_expired",),
    422: ("validation_error", "invalid_input", "invalid_phone", "qr_token_invalid"),
}


@api.route(
    "POST",
    "/v1/admin/members/{key}/tags",
    summary="Add tags to a member",
    tag="admin",
    auth="admin",
    params=s.MemberKeyPath,
    body=s.TagsIn,
    responses={200: s.TagsOut},
    errors=TAG_ERRORS,
)
async def add_tags(call: Call) -> Reply:
    """Body `{"tags": ["vip", "khách sỉ"]}`. Tags are trimmed and lower-cased; one already
    there is kept once. Answers with all the member's tags. Segment rules on tags see the
    change at the next refresh."""
    member = await _find(call, call.params.key)
    body: s.TagsIn = call.body
    return Reply(
        s.TagsOut(member_code=member.member_code, tags=await tags.add_tags(member, body.tags))
    )


@api.route(
    "DELETE",
    "/v1/admin/members/{key}/tags",
    summary="Remove tags from a member",
    tag="admin",
    auth="admin",
    params=s.MemberKeyPath,
    body=s.TagsIn,
    responses={200: s.TagsOut},
    errors=TAG_ERRORS,
)
async def remove_tags(call: Call) -> Reply:
    """Body `{"tags": ["vip"]}`; tags the member does not have are ignored. Answers with the
    member's remaining tags."""
    member = await _find(call, call.params.key)
    body: s.TagsIn = call.body
    left = await tags.remove_tags(member, body.tags)
    return Reply(s.TagsOut(member_code=member.member_code, tags=left))


@api.route(
    "POST",
    "/v1/admin/vouchers/{code}/redeem",
    summary="Redeem a voucher at the counter",
    tag="admin",
    auth="admin",
    params=s.VoucherPath,
    body=s.RedeemIn,
    responses={200: s.RedeemOut},
    errors={
        **ADMIN_ERRORS,
        404: ("voucher_not_found", "not_found"),
        409: ("voucher_already_redeemed", "voucher_expired"),
        422: ("invalid_voucher_code", "validation_error"),
    },
)
async def redeem_voucher(call: Call) -> Reply:
    """Exactly one of any number of simultaneous redeems succeeds; the others get 409
    `voucher_already_redeemed` (with `redeemed_at`). Expired: 409 `voucher_expired`. A code
    whose check character fails is a typo: 422 `invalid_voucher_code`. The body is optional."""
    body: s.RedeemIn = call.body
    voucher = await vouchers.redeem(call.params.code, ref=body.ref)
    out = s.RedeemOut(
        member_code=await member_code_of(voucher.member_id),  # type: ignore[attr-defined]
        voucher=voucher_out(vouchers.view(voucher)),
    )
    return Reply(out)
