"""The other direction: signing and delivering OA webhook events the way Zalo does.

The MAC is plain SHA-256 over app_id + raw body + timestamp + OA secret key (§1.2); the
body is sent byte for byte as signed, and redeliveries repeat the identical bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.fakes.zalo.state import dumps

if TYPE_CHECKING:
    from tests.fakes.zalo.core import FakeZalo


@dataclass(slots=True)
class Delivery:
    """One webhook POST the fake made; status 0 means the connection failed."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int
    response: bytes = b""


def mac(raw: bytes, timestamp: str, first_id: str, key: str) -> str:
    """sha256_hex(first_id + raw_body + timestamp + key): not an HMAC."""
    return hashlib.sha256(first_id.encode() + raw + timestamp.encode() + key.encode()).hexdigest()


def encode(event: Mapping[str, Any]) -> bytes:
    """Compact JSON with raw UTF-8 Vietnamese, like Zalo's own bodies."""
    return dumps(dict(event)).encode()


async def deliver(
    fake: FakeZalo,
    url: str,
    event: Mapping[str, Any] | bytes,
    *,
    bad_signature: bool = False,
    times: int = 1,
    concurrently: bool = False,
    signature: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> list[int]:
    """POST one event `times` times. Copies after the first carry `num_retry: 1, 2, ...`
    (the header is [?] in the reference, harmless if the bot ignores it). `signature`
    overrides the header value outright; `bad_signature` signs with a wrong key."""
    raw = event if isinstance(event, bytes) else encode(event)
    if signature is None:
        timestamp = str(json.loads(raw).get("timestamp", ""))
        key = "not-the-secret" if bad_signature else None
        signature = fake.sign(raw, timestamp, key=key)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def post(attempt: int) -> int:
            headers = {"Content-Type": "application/json", "X-ZEvent-Signature": signature}
            if attempt:
                headers["num_retry"] = str(attempt)
            headers.update(extra_headers or {})
            try:
                async with session.post(url, data=raw, headers=headers) as resp:
                    status, body = resp.status, await resp.read()
            except (aiohttp.ClientError, TimeoutError):
                status, body = 0, b""
            fake.deliveries.append(Delivery(url, raw, headers, status, body))
            return status

        if concurrently:
            return list(await asyncio.gather(*(post(i) for i in range(times))))
        return [await post(i) for i in range(times)]
