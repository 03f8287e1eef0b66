"""The 24-hour rule, decided before any call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.messenger.window import window_refusal

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEXT = {"recipient": {"id": "p"}, "messaging_type": "UPDATE", "message": {"text": "x"}}


def tagged(tag: str) -> dict[str, object]:
    return {**TEXT, "messaging_type": "MESSAGE_TAG", "tag": tag}


def refusal(
    payload: dict[str, object], hours_ago: float | None, promotional: bool = False
) -> str | None:
    last = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    return window_refusal(payload, promotional=promotional, last_inbound_at=last, now=NOW)


def test_inside_the_window_anything_goes() -> None:
    assert refusal(TEXT, 23.9) is None
    assert refusal(TEXT, 1, promotional=True) is None
    assert refusal({"recipient": {"id": "p"}, "sender_action": "typing_on"}, 2) is None


def test_outside_the_window() -> None:
    reason = refusal(TEXT, 25)
    assert reason and "no allowed tag" in reason and "25 h" in reason
    assert "never wrote" in (refusal(TEXT, None) or "")
    promo = refusal(tagged("POST_PURCHASE_UPDATE"), 30, promotional=True)
    assert promo and "promotional" in promo
    assert refusal({"recipient": {"id": "p"}, "sender_action": "typing_on"}, 30)


def test_tags() -> None:
    assert refusal(tagged("POST_PURCHASE_UPDATE"), 24 * 40) is None
    assert refusal(tagged("ACCOUNT_UPDATE"), None) is None
    assert refusal(tagged("HUMAN_AGENT"), 24 * 6) is None
    assert "7-day" in (refusal(tagged("HUMAN_AGENT"), 24 * 8) or "")
