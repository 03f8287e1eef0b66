"""The membership card in chat: a rendered image (shop, name, tier, points, progress, member
QR) and a short caption with the same facts as text.

Drawing happens off the event loop in the render cache. The QR holds the same short-lived
signed token as the Mini App card (`loyalty.qr`), so staff scanning it get the live member
and an old screenshot stops working; the person asks for the card again at the counter.
"""

from __future__ import annotations

from bot.content.templating import render_text
from bot.core.messages import Image, Text
from bot.handlers import members
from bot.handlers.context import Chat
from bot.handlers.menu import nav_button
from games.render.card import MemberCardData
from games.render.media import member_card
from loyalty.models import Member
from loyalty.qr import make_qr_token
from loyalty.tiers import TierProgress, progress


def _fraction(member: Member, prog: TierProgress) -> float | None:
    """How far from this tier's threshold to the next one; None at the top tier."""
    if prog.next_tier is None:
        return None
    span = prog.next_tier.min_points - prog.tier.min_points
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (member.points_earned - prog.tier.min_points) / span))


async def card_data(chat: Chat, member: Member) -> tuple[MemberCardData, str]:
    """What the card shows, and its caption."""
    content, settings = chat.content, chat.services.settings
    texts = content.texts
    prog = progress(member, content.loyalty)
    points = member.points_balance
    name = member.name or await chat.name() or content.render(texts.fallback_name)
    if prog.next_tier is not None:
        progress_text = await chat.text(
            "card_progress",
            tier=prog.tier.name,
            points=points,
            points_to_next=prog.points_to_next or 0,
            next_tier=prog.next_tier.name,
        )
    else:
        progress_text = await chat.text("card_top_tier", tier=prog.tier.name, points=points)
    token, _ = make_qr_token(member, settings.session_secret(), settings.QR_TTL_SECONDS)
    data = MemberCardData(
        shop_name=content.shop.name,
        member_name=name,
        tier_name=f"{texts.card_label_tier} {prog.tier.name}",
        tier_color=prog.tier.color or content.shop.colors.primary,
        points_text=f"{render_text('{points|number}', points=points)} {texts.card_label_points}",
        member_code=member.member_code,
        qr_data=token,
        progress=_fraction(member, prog),
        progress_text=progress_text,
        code_label=texts.card_label_member,
    )
    caption = await chat.text(
        "card_caption",
        tier=prog.tier.name,
        points=points,
        points_to_next=prog.points_to_next or 0,
        next_tier=prog.next_tier.name if prog.next_tier else "",
        member_code=member.member_code,
        progress=progress_text,
    )
    return data, caption


async def send_card(chat: Chat) -> None:
    """Reply with the card image and its caption (a member is created if there is none)."""
    member = await members.member_for(chat.event, chat.channel, config=chat.content.loyalty)
    data, caption = await card_data(chat, member)
    file = await member_card(chat.services.media.cache, data)
    buttons = (nav_button(chat.content, "vouchers"), nav_button(chat.content, "menu"))
    await chat.send(
        Image(url=chat.services.media.url(file)),
        Text(text=caption, buttons=buttons),
    )
