"""A failing flow: logged, the person gets `texts.error_generic`, the event is not replayed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.core import Router, Text
from bot.models import InboxEvent
from tests.bot.handlers.conftest import Bot, fb_text, zalo_text


def broken_router() -> Router:
    router = Router(name="broken")

    @router.message(Text(equals="boom"))
    async def boom() -> None:
        raise RuntimeError("a bug in a flow")

    return router


async def test_a_failing_flow_apologises_once(
    make_bot: Callable[..., Awaitable[Bot]], caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(broken_router())
    content = bot.runtime.content.current
    bot.zalo.add_user("z1", "Lan")
    sent = await bot.zalo_says("z1", "BOOM")
    assert [zalo_text(m) for m in sent] == [content.texts.error_generic]
    assert "a bug in a flow" in caplog.text
    (row,) = await InboxEvent.all()
    assert row.status == "done" and row.attempts == 1

    bot.fb.add_user("p1", "Lan")
    sent = await bot.fb_says("p1", "boom")
    assert [fb_text(s) for s in sent] == [content.texts.error_generic]


async def test_test_routers_go_ahead_of_the_product(
    make_bot: Callable[..., Awaitable[Bot]],
) -> None:
    """`menu` is a product keyword, but a router given to the app sees it first."""
    router = Router(name="first")

    @router.message(Text(equals="menu"))
    async def mine(reply: object) -> None:
        from bot.core.messages import Text as Say

        await reply(Say(text="test router"))  # type: ignore[operator]

    bot = await make_bot(router)
    bot.fb.add_user("p1", "Lan")
    sent = await bot.fb_says("p1", "menu")
    assert [fb_text(s) for s in sent] == ["test router"]
