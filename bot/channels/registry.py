"""The platform channels this build ships, built for one process."""

from __future__ import annotations

from bot.apiclient.http import SharedHttp
from bot.backends.base import KeyValue, LockManager
from bot.channels.messenger.channel import MessengerChannel
from bot.channels.zalo.channel import ZaloChannel
from bot.contracts.channel import Channel
from bot.settings import Settings


def build_channels(
    settings: Settings, *, http: SharedHttp, kv: KeyValue, locks: LockManager
) -> dict[str, Channel]:
    """Every channel, by name; nothing is opened here (`Channel.start` does that)."""
    return {
        ZaloChannel.name: ZaloChannel(settings, http=http, kv=kv, locks=locks),
        MessengerChannel.name: MessengerChannel(settings, http=http),
    }
