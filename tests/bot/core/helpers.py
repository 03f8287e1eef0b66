"""Neutral events for core tests, built the way channel parsers build them."""

from __future__ import annotations

import itertools

from bot.core.events import Channel, FollowEvent, MessageEvent, PayloadEvent

_ids = itertools.count(1)


def message(text: str, *, user: str = "u1", channel: Channel = "zalo") -> MessageEvent:
    return MessageEvent(
        channel=channel, account_id="oa1", user_id=user, event_id=f"m{next(_ids)}", text=text
    )


def payload(value: str, *, user: str = "u1", channel: Channel = "messenger") -> PayloadEvent:
    return PayloadEvent(
        channel=channel, account_id="page1", user_id=user, event_id=f"p{next(_ids)}", payload=value
    )


def follow(*, user: str = "u1") -> FollowEvent:
    return FollowEvent(channel="zalo", account_id="oa1", user_id=user, event_id=f"f{next(_ids)}")
