"""Data rights over HTTP: consents, the data export and the erasure, for the member (Mini
App) and for the shop (a member who asks at the counter, through the console or the API).

Exports and erasures are recorded in the audit log whoever asks; from the admin side they
need the manager role (a staff key gets 403 `forbidden_role`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.personal_data import erase_person, export_person
from bot.web.problems import ApiError
from loyalty import consent
from loyalty.models import Member
from miniapp_api import audit, auth
from miniapp_api import schemas as s
from miniapp_api.calls import Call
from miniapp_api.registry import Reply, api
from miniapp_api.schemas import privacy as p
from miniapp_api.views.admin import ADMIN_ERRORS, _find
from miniapp_api.views.member import MEMBER_ERRORS

TEXT_KEYS = {"membership_phone": "consent_phone", "marketing": "consent_marketing"}
ROLE_ERRORS = {**ADMIN_ERRORS, 403: ("admin_disabled", "forbidden_role")}
NO_STORE = {"Cache-Control": "no-store"}


def consent_text(call: Call, purpose: str) -> str:
    """The consent text of `purpose` as shown now (the shop's name filled in)."""
    return call.content.text(TEXT_KEYS[purpose])


async def _consents_out(call: Call, member: Member) -> p.ConsentsOut:
    states = await consent.current(member)
    items = []
    for purpose, state in states.items():
        text = consent_text(call, purpose)
        items.append(
            p.ConsentOut(
                purpose=purpose,
                granted=state.granted,
                text=text,
                text_version=consent.text_version(text),
                updated_at=state.at,
                channel=state.channel,
                method=state.method,
                granted_text_version=state.text_version,
            )
        )
    return p.ConsentsOut(items=items, marketing_opt_in=states["marketing"].granted)


async def _decide(
    call: Call, member: Member, body: p.ConsentIn, *, channel: str, method: str, by: str
) -> None:
    text = consent_text(call, body.purpose)
    if body.granted:
        if body.purpose == "membership_phone":
            raise ApiError(
                422,
                "invalid_consent",
                "the phone is shared with POST /v1/me/phone, which records this consent",
            )
        if body.text_version != consent.text_version(text):
            raise ApiError(
                409,
                "consent_text_changed",
                "the consent text changed since it was shown: fetch GET /v1/me/consents, "
                "show the new text and send its text_version",
                text_version=consent.text_version(text),
            )
        await consent.record_consent(
            member, body.purpose, channel=channel, method=method, text=text, recorded_by=by
        )
    elif body.purpose == "membership_phone":
        await consent.withdraw_phone(
            member, channel=channel, method=method, text=text, recorded_by=by
        )
    else:
        await consent.withdraw(
            member, body.purpose, channel=channel, method=method, text=text, recorded_by=by
        )


# --- the member's own ------------------------------------------------------------------
@api.route(
    "GET",
    "/v1/me/consents",
    summary="What the member agreed to, and the texts to show",
    tag="privacy",
    auth="member",
    responses={200: p.ConsentsOut},
    errors=MEMBER_ERRORS,
)
async def my_consents(call: Call) -> Reply:
    """One item per purpose (`membership_phone`, `marketing`): the current decision and the
    text to show now with its `text_version`. Nobody is opted in to marketing by default."""
    return Reply(await _consents_out(call, call.me), headers=NO_STORE)


@api.route(
    "PUT",
    "/v1/me/consents",
    summary="Grant or withdraw one consent",
    tag="privacy",
    auth="member",
    body=p.ConsentIn,
    responses={200: p.ConsentsOut},
    errors={
        **MEMBER_ERRORS,
        409: ("consent_text_changed",),
        422: ("validation_error", "invalid_consent"),
    },
)
async def put_consent(call: Call) -> Reply:
    """Granting needs the `text_version` of the text shown (409 `consent_text_changed` when
    the shop edited it meanwhile). Withdrawing always works at once; withdrawing
    `membership_phone` removes the phone from the card. Every decision is kept."""
    await _decide(
        call, call.me, call.body, channel="miniapp", method="miniapp_toggle", by="member"
    )
    return Reply(await _consents_out(call, call.me), headers=NO_STORE)


@api.route(
    "GET",
    "/v1/me/data",
    summary="Everything held about the member, as JSON",
    tag="privacy",
    auth="member",
    responses={200: p.DataOut},
    errors=MEMBER_ERRORS,
)
async def my_data(call: Call) -> Reply:
    """Profile, identities, phone, consents, orders, points ledger, vouchers, plays, chat
    contacts and the messages still kept (see `MESSAGE_RETENTION_DAYS`). Audited."""
    member = call.me
    data = await export_person(member)
    await audit.record(
        auth.Actor.member(member.id), "GET /v1/me/data", target=f"member:{member.id}", status=200
    )
    return Reply(p.DataOut(exported_at=datetime.now(UTC), **data), headers=NO_STORE)


@api.route(
    "DELETE",
    "/v1/me",
    summary="Erase the member's personal data",
    tag="privacy",
    auth="member",
    responses={202: p.ErasedOut},
    errors=MEMBER_ERRORS,
)
async def erase_me(call: Call) -> Reply:
    """Name, phone, identities, birthday and chats go; points, vouchers, orders and plays
    keep their rows, anonymised. The session ends; signing in again makes a new member.
    Audited."""
    member = call.me
    erasure = await erase_person(member, recorded_by="member")
    await audit.record(
        auth.Actor.member(member.id), "DELETE /v1/me", target=f"member:{member.id}", status=202
    )
    if call.session is not None:
        await call.kv.delete(f"miniapp:zalo_token:{call.session.jti}")
    return Reply(p.ErasedOut(erased_at=erasure.at, already=erasure.already), status=202)


# --- the shop's side (console, API) ------------------------------------------------------
@api.route(
    "GET",
    "/v1/admin/members/{key}/data",
    summary="Export a member's data (manager or owner)",
    tag="privacy",
    auth="admin",
    params=s.MemberKeyPath,
    responses={200: p.DataOut},
    errors={**ROLE_ERRORS, 404: ("member_not_found", "not_found")},
)
async def member_data(call: Call) -> Reply:
    """For a member who asks at the counter. Needs the manager role; recorded in the audit
    log like a write, refused attempts included."""
    audit.note(call.request, always=True)
    auth.require_role(call.request, "manager")
    member = await _find(call, call.params.key)
    audit.note(call.request, target=f"member:{member.id}")
    data = await export_person(member)
    return Reply(p.DataOut(exported_at=datetime.now(UTC), **data), headers=NO_STORE)


@api.route(
    "DELETE",
    "/v1/admin/members/{key}",
    summary="Erase a member's personal data (manager or owner)",
    tag="privacy",
    auth="admin",
    params=s.MemberKeyPath,
    responses={202: p.ErasedOut},
    errors={**ROLE_ERRORS, 404: ("member_not_found", "not_found")},
)
async def erase_member(call: Call) -> Reply:
    """The console's "erase member": the same erasure as `DELETE /v1/me`; afterwards the old
    phone and member code answer 404. Needs the manager role; audited."""
    actor = auth.require_role(call.request, "manager")
    member = await _find(call, call.params.key)
    audit.note(call.request, target=f"member:{member.id}")
    erasure = await erase_person(member, recorded_by=actor.id)
    return Reply(p.ErasedOut(erased_at=erasure.at, already=erasure.already), status=202)


@api.route(
    "PUT",
    "/v1/admin/members/{key}/consents",
    summary="Record a consent given or withdrawn at the counter",
    tag="privacy",
    auth="admin",
    params=s.MemberKeyPath,
    body=p.ConsentIn,
    responses={200: p.ConsentsOut},
    errors={
        **ADMIN_ERRORS,
        404: ("member_not_found", "not_found"),
        409: ("consent_text_changed",),
        422: ("validation_error", "invalid_consent"),
    },
)
async def member_consent(call: Call) -> Reply:
    """A paper or spoken decision at the till, e.g. the customer asks to stop promotions.
    Granting needs the `text_version` of the text shown to the customer (the current
    `consent_marketing`). Recorded with the staff's actor id; audited."""
    actor = auth.actor_of(call.request)
    member = await _find(call, call.params.key)
    audit.note(call.request, target=f"member:{member.id}", purpose=call.body.purpose)
    await _decide(call, member, call.body, channel="counter", method="counter_form", by=actor.id)
    return Reply(await _consents_out(call, member))
