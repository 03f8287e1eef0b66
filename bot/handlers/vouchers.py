"""My vouchers: the member's usable vouchers as one text, newest first."""

from __future__ import annotations

from datetime import datetime

from bot.content.schema import Content
from bot.content.templating import render_text
from bot.core.messages import Text
from bot.handlers import members
from bot.handlers.context import Chat
from bot.handlers.menu import nav_button
from loyalty.clock import VN_TZ
from loyalty.vouchers import list_for_member

MAX_LISTED = 10  # a chat message is no place for a long list; the Mini App shows them all


def local(moment: datetime) -> datetime:
    """Dates shown to people are Vietnam dates (stored times are UTC)."""
    return moment.astimezone(VN_TZ)


def voucher_value(content: Content, kind: str, value: int) -> str:
    """`50.000đ` or `10%`, as `texts.voucher_value_amount/percent` write it."""
    if kind == "percent":
        return render_text(content.texts.voucher_value_percent, percent=value)
    return render_text(content.texts.voucher_value_amount, amount=value)


async def send_vouchers(chat: Chat) -> None:
    content = chat.content
    member = await members.find_member(chat.event)
    found = await list_for_member(member, status="available") if member is not None else []
    if not found:
        only_menu = (nav_button(content, "menu"),)
        await chat.send(Text(text=await chat.text("vouchers_empty"), buttons=only_menu))
        return
    lines = [await chat.text("vouchers_intro", count=len(found))]
    for voucher in found[:MAX_LISTED]:
        value = voucher_value(content, voucher.kind, voucher.value)
        lines.append(
            await chat.text(
                "voucher_line",
                title=voucher.title or value,
                voucher_code=voucher.code,
                voucher_value=value,
                expires_at=content.format_date(local(voucher.expires_at)),
            )
        )
    buttons = (nav_button(content, "card"), nav_button(content, "menu"))
    await chat.send(Text(text="\n".join(lines), buttons=buttons))
