"""The member's own routes: sign-in, membership card, QR image, vouchers, points, phone."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from bot.web.problems import ApiError
from loyalty import consent, members, points, tiers, vouchers
from loyalty.errors import QrTokenExpired, QrTokenInvalid
from loyalty.models import Member
from loyalty.phone import normalize_phone
from loyalty.qr import make_qr_token, read_qr_token
from miniapp_api import auth, zalo_graph
from miniapp_api import schemas as s
from miniapp_api.calls import Call
from miniapp_api.media import qr_image_url, qr_png
from miniapp_api.present import member_out, tier_out, voucher_out, vouchers_out
from miniapp_api.registry import Reply, api

MEMBER_ERRORS = {401: ("missing_session", "invalid_session", "session_expired")}


@api.route(
    "POST",
    "/v1/session",
    summary="Sign in with the Mini App's Zalo access token",
    tag="session",
    body=s.SessionIn,
    responses={201: s.SessionOut},
    errors={
        401: ("invalid_zalo_token",),
        503: ("zalo_unavailable", "miniapp_not_configured"),
    },
)
async def create_session(call: Call) -> Reply:
    """The token is checked against Zalo Graph `/v2.0/me` (with `appsecret_proof`); the member
    is found or created by the Zalo app-scoped user id (identity `miniapp`), joined with the
    OA chat member of the same person (identity `zalo_app`, the OA's `user_id_by_app`).
    Returns a bearer token for the rest."""
    body: s.SessionIn = call.body
    profile = await zalo_graph.fetch_profile(call.http, call.settings, body.access_token)
    member = await _member_for(call, profile.id, profile.name)
    if profile.name and not member.name:
        member = await members.set_name(member, profile.name)
    token, session = auth.issue_session(call.settings, member.id)
    await auth.remember_zalo_token(call.request, session, body.access_token)
    out = s.SessionOut(
        token=token,
        expires_in=call.settings.SESSION_TTL_SECONDS,
        expires_at=session.expires_at,
        member=member_out(member, call.content.loyalty),
    )
    return Reply(out, status=201)


async def _member_for(call: Call, app_user_id: str, name: str | None) -> Member:
    """The Mini App id is the App-scoped id OA events carry as `user_id_by_app` (zalo.md §6):
    a person who already chatted with the OA keeps that member and its points."""
    config = call.content.loyalty
    member = await members.get_by_identity("miniapp", app_user_id)
    if member is None:
        chat = await members.get_by_identity("zalo_app", app_user_id)
        if chat is not None:
            return await members.link_identity(chat, "miniapp", app_user_id, config=config)
        member = await members.get_or_create_by_identity("miniapp", app_user_id, name=name)
    owner = await members.get_by_identity("zalo_app", app_user_id)
    if owner is None or owner.id != member.id:  # link, or merge with the chat member
        member = await members.link_identity(member, "zalo_app", app_user_id, config=config)
    return member


@api.route(
    "GET",
    "/v1/me/card",
    summary="The membership card",
    tag="member",
    auth="member",
    responses={200: s.CardOut},
    errors=MEMBER_ERRORS,
)
async def card(call: Call) -> Reply:
    """Points are the spendable balance; the tier follows points earned. The QR token is
    signed and expires after `QR_TTL_SECONDS`: fetch the card again to refresh it."""
    member, config = call.me, call.content.loyalty
    progress = tiers.progress(member, config)
    token, expires_at = make_qr_token(
        member, call.settings.session_secret(), ttl=call.settings.QR_TTL_SECONDS
    )
    out = s.CardOut(
        member_code=member.member_code,
        name=member.name,
        phone=member.phone,
        points=member.points_balance,
        tier=tier_out(progress.tier),
        next_tier=tier_out(progress.next_tier) if progress.next_tier else None,
        points_to_next=progress.points_to_next,
        qr=s.QrOut(
            token=token, image_url=qr_image_url(call.settings, token), expires_at=expires_at
        ),
        vouchers_available=await vouchers.count_available(member),
    )
    return Reply(out, headers={"Cache-Control": "no-store"})


@api.route(
    "GET",
    "/v1/me/qr.png",
    summary="The member QR as a PNG",
    tag="member",
    query=s.QrQuery,
    raw_response=(200, "image/png", "the QR code, valid until the token expires"),
    errors={404: ("qr_token_invalid",), 410: ("qr_token_expired",)},
)
async def qr_image(call: Call) -> web.StreamResponse:
    """Authorised by the QR token itself (an `<img>` cannot send a bearer header); the token
    only names the member code and expires within `QR_TTL_SECONDS`."""
    token = call.query.token
    try:
        claims = read_qr_token(token, call.settings.session_secret())
    except QrTokenExpired:
        raise ApiError(410, "qr_token_expired", "this QR code has expired") from None
    except QrTokenInvalid:
        raise ApiError(404, "qr_token_invalid", "no such QR code") from None
    left = max(0, int((claims.expires_at - datetime.now(UTC)).total_seconds()))
    return web.Response(
        body=await qr_png(token),
        content_type="image/png",
        headers={"Cache-Control": f"private, max-age={left}"},
    )


@api.route(
    "GET",
    "/v1/me/vouchers",
    summary="The member's vouchers: available, used and expired",
    tag="member",
    auth="member",
    responses={200: s.VouchersOut},
    errors=MEMBER_ERRORS,
)
async def my_vouchers(call: Call) -> Reply:
    """Newest first in each group."""
    return Reply(await vouchers_out(call.me, datetime.now(UTC)))


@api.route(
    "GET",
    "/v1/me/points",
    summary="The points ledger, newest first",
    tag="member",
    auth="member",
    query=s.PageQuery,
    responses={200: s.PointsPageOut},
    errors={**MEMBER_ERRORS, 400: ("invalid_query",)},
)
async def my_points(call: Call) -> Reply:
    """Paginated with `limit` (≤ 100) and `page` (1-based); `next_page` is null at the end."""
    query: s.PageQuery = call.query
    offset = (query.page - 1) * query.limit
    rows = await points.history(call.me, limit=query.limit + 1, offset=offset)
    items = [
        s.PointsEntryOut(
            kind=r.kind,
            amount=r.amount,
            balance_after=r.balance_after,
            reason=r.reason,
            ref=r.ref,
            created_at=r.created_at,
        )
        for r in rows[: query.limit]
    ]
    out = s.PointsPageOut(
        items=items,
        page=query.page,
        limit=query.limit,
        next_page=query.page + 1 if len(rows) > query.limit else None,
        balance=call.me.points_balance,
    )
    return Reply(out)


@api.route(
    "POST",
    "/v1/me/phone",
    summary="Link the phone number shared with getPhoneNumber()",
    tag="member",
    auth="member",
    body=s.PhoneIn,
    responses={200: s.PhoneOut},
    errors={
        **MEMBER_ERRORS,
        400: ("phone_token_invalid",),
        401: ("invalid_zalo_token", "zalo_token_required", *MEMBER_ERRORS[401]),
        422: ("invalid_phone", "validation_error"),
        503: ("zalo_unavailable",),
    },
)
async def link_phone(call: Call) -> Reply:
    """Resolves the token via Zalo Graph `/v2.0/me/info` with the session's Zalo access token
    (kept server-side since sign-in) or the `access_token` sent along. If another member
    already has the number, the two are merged. The `rewards.phone_capture` voucher is issued
    once per person, ever. Records the `membership_phone` consent with `texts.consent_phone`
    (GET /v1/me/consents gives the text to show before asking)."""
    body: s.PhoneIn = call.body
    access_token = body.access_token
    if access_token is not None:
        await _check_same_user(call, access_token)
    else:
        assert call.session is not None
        access_token = await auth.recall_zalo_token(call.request, call.session)
    if not access_token:
        raise ApiError(
            401, "zalo_token_required", "send access_token with the phone token, or sign in again"
        )
    number = await zalo_graph.fetch_phone(call.http, call.settings, access_token, body.token)
    phone = normalize_phone(number)
    config = call.content.loyalty
    member = await members.link_phone(call.me, phone, config=config)
    text = call.content.text("consent_phone")  # shown by the Mini App before the request
    await consent.record_consent(
        member, "membership_phone", channel="miniapp", method="phone_share", text=text
    )
    voucher, issued = None, False
    reward = call.content.rewards.phone_capture
    if reward is not None:
        before = await vouchers.list_for_member(member)
        had = any(v.source == vouchers.SOURCE_PHONE_CAPTURE for v in before)
        issued_voucher = await vouchers.issue_phone_capture(member, reward.voucher)
        voucher = voucher_out(vouchers.view(issued_voucher))
        issued = not had
    member = await members.resolve(member)
    out = s.PhoneOut(
        phone=phone,
        member=member_out(member, config),
        voucher=voucher,
        voucher_issued=issued,
    )
    return Reply(out)


async def _check_same_user(call: Call, access_token: str) -> None:
    """A token sent in the body must belong to this member, or anyone's phone could be linked."""
    profile = await zalo_graph.fetch_profile(call.http, call.settings, access_token)
    owner = await members.get_by_identity("miniapp", profile.id)
    if owner is None or owner.id != call.me.id:
        raise ApiError(401, "invalid_zalo_token", "the access token belongs to another user")
