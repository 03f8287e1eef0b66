"""Phone capture: ask, receive, link to the member, reward once per person.

Asking sends the platform's native request (`RequestPhone`: a Zalo `request_user_info` form,
a Messenger `user_phone_number` quick reply) and sets the `PhoneCapture:waiting` state, in
which a typed number is accepted too. Answers from the native request (`SharedInfoEvent`)
are accepted in any state. Numbers are normalized (`0…`, `84…`, `+84…`); an invalid one gets
`texts.phone_invalid` and the person may try again.

The member is found or created by phone and every channel identity of the person is linked
to it (merging members that turn out to be one person). A phone whose member already has a
different identity of the same channel (another Zalo user, another PSID) is someone else's:
`texts.phone_taken`, nothing is linked. `rewards.phone_capture` is issued once per person.
Each linked phone is a `membership_phone` consent record with the request's texts (which
state the purpose).
"""

from __future__ import annotations

import re

from bot.content.schema import Content
from bot.core.events import MessageEvent, SharedInfoEvent
from bot.core.exceptions import SkipHandler
from bot.core.filters import StateFilter
from bot.core.fsm import State, StatesGroup
from bot.core.messages import RequestPhone, Text
from bot.core.router import Router
from bot.handlers import members
from bot.handlers.context import Chat, ChatMiddleware
from bot.handlers.menu import nav_button
from bot.handlers.vouchers import local, voucher_value
from loyalty import members as loyalty_members
from loyalty.consent import record_consent
from loyalty.errors import InvalidPhone
from loyalty.models import Member, Voucher
from loyalty.phone import normalize_phone
from loyalty.vouchers import SOURCE_PHONE_CAPTURE, issue_phone_capture

_CANDIDATE = re.compile(r"\+?\d[\d\s.\-()]{5,}\d")


class PhoneCapture(StatesGroup):
    waiting = State()


def shown(phone: str) -> str:
    """`84912345678` → `0912345678`, the way people write their number."""
    return "0" + phone[2:] if phone.startswith("84") else phone


def typed_number(text: str) -> str | None:
    """The phone-like part of a typed message ("số mình 0912 345 678" → "0912 345 678")."""
    match = _CANDIDATE.search(text)
    return match.group(0) if match else None


async def ask_phone(chat: Chat) -> None:
    """Send the native phone request and wait for a number."""
    content = chat.content
    image_ref = content.greetings.zalo_follow.image or content.shop.logo
    image = await chat.services.media.asset_url(content, image_ref)
    await chat.state.set_state(PhoneCapture.waiting)
    await chat.send(
        RequestPhone(
            text=await chat.text("phone_request"),
            title=await chat.text("phone_request_title"),
            subtitle=await chat.text("phone_request_subtitle"),
            image_url=image,
        )
    )


async def save_phone(chat: Chat, raw: str, *, name: str | None = None) -> None:
    """Validate, link and reward; every outcome is answered."""
    content = chat.content
    try:
        phone = normalize_phone(raw)
    except InvalidPhone:
        await chat.state.set_state(PhoneCapture.waiting)  # the next typed number counts
        await chat.send(Text(text=await chat.text("phone_invalid")))
        return
    event, config = chat.event, content.loyalty
    kind, value = members.identities(event)[0]
    owner = await Member.get_or_none(phone=phone)
    me = await members.find_member(event)
    await chat.state.clear()
    if (
        owner is not None
        and (me is None or owner.id != me.id)
        and await members.owns_other_identity(owner, kind, value)
    ):
        await chat.send(Text(text=await chat.text("phone_taken", phone=shown(phone))))
        return
    had_phone = me is not None and me.phone == phone
    if me is None and owner is None:
        me = await loyalty_members.get_or_create_by_identity(
            kind, value, name=name or await chat.name()
        )
    member = await loyalty_members.link_phone(me or owner, phone, config=config)  # type: ignore[arg-type]
    member = await members.attach(event, member, config=config)
    if name and not member.name:
        member = await loyalty_members.set_name(member, name)
    await record_consent(
        member,
        "membership_phone",
        channel=event.channel,
        method="phone_share",
        text=request_text(content),
    )
    await _reward(chat, member, phone, had_phone=had_phone)


def request_text(content: Content) -> str:
    """The phone request as shown (title, text, subtitle), for the consent record: rendered
    with the shop's name, the person's own name left as `{name}` (no personal data kept)."""
    keys = ("phone_request_title", "phone_request", "phone_request_subtitle")
    return "\n".join(content.text(key, name="{name}") for key in keys)


async def _reward(chat: Chat, member: Member, phone: str, *, had_phone: bool) -> None:
    content = chat.content
    buttons = (nav_button(content, "card"), nav_button(content, "menu"))
    rewarded = await Voucher.filter(member_id=member.id, source=SOURCE_PHONE_CAPTURE).exists()
    reward = content.rewards.phone_capture
    if rewarded and had_phone:
        text = await chat.text("phone_already_rewarded", phone=shown(phone))
        await chat.send(Text(text=text, buttons=buttons))
        return
    saved = await chat.text("phone_saved", phone=shown(phone))
    if rewarded or reward is None:
        await chat.send(Text(text=saved, buttons=buttons))
        return
    voucher = await issue_phone_capture(member, reward.voucher)
    gift = await chat.text(
        "phone_voucher",
        voucher_code=voucher.code,
        voucher_value=voucher_value(content, voucher.kind, voucher.value),
        expires_at=content.format_date(local(voucher.expires_at)),
    )
    await chat.send(Text(text=saved), Text(text=gift, buttons=buttons))


def make_router() -> Router:
    """Shared numbers in any state; typed numbers while waiting for one."""
    router = Router(name="phone")
    router.middleware.register(ChatMiddleware())

    @router.shared_info(lambda event: isinstance(event, SharedInfoEvent) and bool(event.phone))
    async def on_shared(chat: Chat, event: SharedInfoEvent) -> None:
        await save_phone(chat, event.phone or "", name=event.name)

    waiting = StateFilter(PhoneCapture.waiting)

    @router.message(waiting)
    async def on_typed(chat: Chat, event: MessageEvent) -> None:
        number = typed_number(event.text)
        if number is not None:
            await save_phone(chat, number)
        elif any(ch.isdigit() for ch in event.text):
            await chat.send(Text(text=await chat.text("phone_invalid")))
        else:
            # Not an answer: the person moved on, so let keywords and the rest handle it.
            await chat.state.clear()
            raise SkipHandler

    @router.payload(waiting)
    async def on_other_button(chat: Chat) -> None:
        await chat.state.clear()
        raise SkipHandler

    return router
