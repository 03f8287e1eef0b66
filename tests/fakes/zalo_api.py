"""Import point for the fake Zalo server; the implementation lives in `tests.fakes.zalo`."""

from __future__ import annotations

from tests.fakes.zalo import (
    DAY_MS,
    HOUR_MS,
    FakeUser,
    FakeZalo,
    SentMessage,
    appsecret_proof,
    mac,
    new_id,
    new_msg_id,
    pkce_challenge,
)

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "FakeUser",
    "FakeZalo",
    "SentMessage",
    "appsecret_proof",
    "mac",
    "new_id",
    "new_msg_id",
    "pkce_challenge",
]
