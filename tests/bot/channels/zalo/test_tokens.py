"""The rotating token pair: DB-backed, seeded once, single-flight refresh, no refresh loops."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.backends.base import LockManager
from bot.backends.memory import MemoryLocks
from bot.channels.zalo import AiohttpSession, ZaloClient
from bot.channels.zalo.exceptions import ZaloTokenUnavailable
from bot.channels.zalo.methods import GetOA
from bot.channels.zalo.tokens import TokenManager
from bot.models import PlatformToken
from tests.fakes.zalo_api import FakeZalo


def manager(
    zalo: FakeZalo, session: AiohttpSession, locks: LockManager, seed: tuple[str, str] = ("", "")
) -> TokenManager:
    return TokenManager(
        account_id=zalo.oa_id,
        app_id=zalo.app_id,
        app_secret=zalo.app_secret,
        session=session,
        locks=locks,
        seed_access_token=seed[0],
        seed_refresh_token=seed[1],
    )


async def test_env_seeds_only_an_empty_store(
    db: str, zalo: FakeZalo, session: AiohttpSession
) -> None:
    first = manager(zalo, session, MemoryLocks(), ("a1", "r1"))
    assert await first.seed()
    second = manager(zalo, session, MemoryLocks(), ("a2", "r2"))
    assert not await second.seed()
    row = await PlatformToken.get(channel="zalo", account_id=zalo.oa_id)
    assert (row.access_token, row.refresh_token) == ("a1", "r1")
    assert await second.access_token() == "a1"


async def test_twenty_concurrent_refreshes_hit_zalo_once(
    tokens: TokenManager, zalo: FakeZalo
) -> None:
    stale = await tokens.access_token()
    old_refresh = (await PlatformToken.get(account_id=zalo.oa_id)).refresh_token
    results = await asyncio.gather(*(tokens.refresh(stale=stale) for _ in range(20)))
    assert zalo.refresh_count == 1 and len(set(results)) == 1 and results[0] != stale
    row = await PlatformToken.get(account_id=zalo.oa_id)
    assert row.access_token == results[0] and row.previous_refresh_token == old_refresh
    assert row.version == 2
    # `expires_in` came as the string "90000".
    left = row.expires_at - datetime.now(UTC)
    assert timedelta(hours=24) < left <= timedelta(seconds=90000)


async def _two_processes(
    zalo: FakeZalo, session: AiohttpSession, locks_a: LockManager, locks_b: LockManager
) -> None:
    access, refresh = zalo.issue_tokens()
    a = manager(zalo, session, locks_a, (access, refresh))
    b = manager(zalo, session, locks_b, (access, refresh))
    await a.seed()
    await b.seed()
    await asyncio.gather(*(m.refresh(stale=access) for m in (a, b) for _ in range(5)))
    assert zalo.refresh_count == 1
    assert await a.access_token() == await b.access_token() != access


async def test_two_processes_share_the_lock_and_the_store(
    db: str, zalo: FakeZalo, session: AiohttpSession
) -> None:
    shared = MemoryLocks()
    await _two_processes(zalo, session, shared, shared)


async def test_two_processes_with_redis_locks(
    db: str, zalo: FakeZalo, session: AiohttpSession, redis_url: str, redis_prefix: str
) -> None:
    if not redis_url:
        pytest.skip("TEST_REDIS_URL not set")
    from redis.asyncio import Redis

    from bot.backends.redis import RedisLocks

    conns = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    try:
        await _two_processes(
            zalo,
            session,
            RedisLocks(conns[0], prefix=redis_prefix),
            RedisLocks(conns[1], prefix=redis_prefix),
        )
    finally:
        for conn in conns:
            await conn.aclose()


async def test_a_pair_refreshed_elsewhere_is_picked_up_without_refreshing(
    db: str, zalo: FakeZalo, session: AiohttpSession
) -> None:
    access, refresh = zalo.issue_tokens()
    mine = manager(zalo, session, MemoryLocks(), (access, refresh))
    await mine.seed()
    assert await mine.access_token() == access  # cached in this process
    other = manager(zalo, session, MemoryLocks())
    new = await other.refresh(stale=access)  # another process rotates the pair
    client = ZaloClient(session, tokens=mine)
    await client(GetOA())  # our cached token is dead now: -220 → re-read → other's pair
    assert zalo.refresh_count == 1 and await mine.access_token() == new


async def test_refreshes_ahead_of_expiry(tokens: TokenManager, zalo: FakeZalo) -> None:
    before = await tokens.access_token()
    await PlatformToken.filter(account_id=zalo.oa_id).update(
        expires_at=datetime.now(UTC) + timedelta(minutes=5)
    )
    tokens._row = None  # as after a restart
    after = await tokens.access_token()
    assert after != before and zalo.refresh_count == 1


async def test_failed_refresh_logs_once_and_does_not_loop(
    tokens: TokenManager, zalo: FakeZalo, session: AiohttpSession, caplog: pytest.LogCaptureFixture
) -> None:
    row = await PlatformToken.get(account_id=zalo.oa_id)
    zalo.refresh_tokens[row.refresh_token].used = True  # e.g. rotated by a rogue copy
    zalo.expire_access_token(row.access_token)
    client = ZaloClient(session, tokens=tokens)
    caplog.set_level(logging.ERROR, logger="bot.channels.zalo.tokens")
    for _ in range(3):
        with pytest.raises(ZaloTokenUnavailable):
            await client(GetOA())
    oauth_calls = [r for r in zalo.requests if r.path == "/v4/oa/access_token"]
    assert len(oauth_calls) == 1 and zalo.refresh_count == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "REFRESH FAILED" in errors[0].getMessage()
    for secret in (row.refresh_token, row.access_token, zalo.app_secret):
        assert secret not in caplog.text
    # A human re-grants: sending works again.
    access, refresh = zalo.issue_tokens()
    await tokens.save_grant(access, refresh, 90000)
    assert (await client(GetOA())).oa_id == zalo.oa_id


async def test_near_expiry_with_a_dead_refresh_token_keeps_using_the_current_one(
    tokens: TokenManager, zalo: FakeZalo
) -> None:
    row = await PlatformToken.get(account_id=zalo.oa_id)
    zalo.refresh_tokens[row.refresh_token].used = True
    await PlatformToken.filter(id=row.id).update(
        expires_at=datetime.now(UTC) + timedelta(minutes=5)
    )
    tokens._row = None
    assert await tokens.access_token() == row.access_token
    assert await tokens.access_token() == row.access_token
    assert len([r for r in zalo.requests if r.path == "/v4/oa/access_token"]) == 1


async def test_code_exchange_stores_the_first_pair(
    db: str, zalo: FakeZalo, session: AiohttpSession
) -> None:
    from tests.fakes.zalo_api import pkce_challenge

    verifier = "v" * 43
    code = zalo.issue_auth_code(pkce_challenge(verifier))
    fresh = manager(zalo, session, MemoryLocks())
    with pytest.raises(ZaloTokenUnavailable):
        await fresh.access_token()
    await fresh.exchange_code(code, verifier)
    assert (await ZaloClient(session, tokens=fresh)(GetOA())).oa_id == zalo.oa_id
