"""The Graph client over real HTTP against the fake: auth, methods, error classes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.apiclient.middleware import Call, Next, RequestMiddleware
from bot.apiclient.proof import appsecret_proof
from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.client import GraphClient, RetryPolicy
from bot.channels.messenger.exceptions import (
    BadRequestError,
    GraphNetworkError,
    InvalidTokenError,
    NoProfileError,
    OutsideWindowError,
    PermissionDeniedError,
    RateLimitError,
    SkippedByPolicyError,
    TransientGraphError,
    UserUnavailableError,
)
from bot.channels.messenger.methods import (
    DeleteMessengerProfile,
    FilePart,
    GetMessengerProfile,
    GetUserProfile,
    SendAction,
    SendMessage,
    SetMessengerProfile,
    UploadAttachment,
)
from bot.channels.messenger.session import AiohttpGraphSession
from tests.fakes.graph_api import FakeGraph

DAY = 24 * 3600


def make_client(
    fb: FakeGraph, *, token: str | None = None, secret: str | None = None
) -> GraphClient:
    session = AiohttpGraphSession(GraphAPIServer(fb.base_url, "v25.0"))
    return GraphClient(
        session,
        token or fb.page_token,
        app_secret=fb.app_secret if secret is None else secret,
        retry=RetryPolicy(attempts=2, base=0.01),
    )


@pytest.fixture
async def strict_fb() -> AsyncIterator[FakeGraph]:
    async with FakeGraph(require_appsecret_proof=True) as fake:
        yield fake


@pytest.fixture
async def client(strict_fb: FakeGraph) -> AsyncIterator[GraphClient]:
    c = make_client(strict_fb)
    yield c
    await c.close()


def test_appsecret_proof_is_hmac_of_token() -> None:
    # Known vector: HMAC-SHA256(key="fbsecret", msg="PAGE_TOKEN").
    import hashlib
    import hmac

    want = hmac.new(b"fbsecret", b"PAGE_TOKEN", hashlib.sha256).hexdigest()
    assert appsecret_proof("fbsecret", "PAGE_TOKEN") == want


async def test_send_text_with_token_and_proof(client: GraphClient, strict_fb: FakeGraph) -> None:
    strict_fb.add_user("psid1", "Lan")
    result = await client(
        SendMessage(recipient_id="psid1", message={"text": "Chào bạn"}, messaging_type="RESPONSE")
    )
    assert result.recipient_id == "psid1"
    assert result.message_id and result.message_id.startswith("m_")
    assert strict_fb.texts("psid1") == ["Chào bạn"]
    request = strict_fb.requests[-1]
    assert request.path == "/v25.0/me/messages"
    assert request.query["appsecret_proof"] == strict_fb.appsecret_proof()


async def test_wrong_app_secret_is_refused(strict_fb: FakeGraph) -> None:
    strict_fb.add_user("psid1")
    bad = make_client(strict_fb, secret="not-the-secret")
    try:
        with pytest.raises(BadRequestError, match="appsecret_proof"):
            await bad(SendAction(recipient_id="psid1", action="typing_on"))
    finally:
        await bad.close()


async def test_sender_actions(client: GraphClient, strict_fb: FakeGraph) -> None:
    strict_fb.add_user("psid1")
    for action in ("mark_seen", "typing_on"):
        result = await client(SendAction(recipient_id="psid1", action=action))  # type: ignore[arg-type]
        assert result.message_id is None
    assert [s.sender_action for s in strict_fb.sent] == ["mark_seen", "typing_on"]


@pytest.mark.parametrize(
    ("code", "subcode", "status", "error"),
    [
        (190, None, 400, InvalidTokenError),
        (10, 2018278, 400, OutsideWindowError),
        (551, 1545041, 400, UserUnavailableError),
        (100, 2018001, 400, UserUnavailableError),
        (4, None, 400, RateLimitError),
        (613, None, 400, RateLimitError),
        (200, None, 403, PermissionDeniedError),
        (100, None, 400, BadRequestError),
        (1, None, 400, TransientGraphError),
        (2, None, 500, TransientGraphError),
        (4, 2018354, 400, SkippedByPolicyError),
    ],
)
async def test_errors_are_classified_by_code_not_status(
    client: GraphClient,
    strict_fb: FakeGraph,
    code: int,
    subcode: int | None,
    status: int,
    error: type[Exception],
) -> None:
    strict_fb.add_user("psid1")
    strict_fb.fail_next(code, subcode, times=5, http_status=status)
    with pytest.raises(error) as info:
        await client(SendMessage(recipient_id="psid1", message={"text": "x"}))
    assert getattr(info.value, "code", None) == code


async def test_marketing_frequency_is_not_transient(
    client: GraphClient, strict_fb: FakeGraph
) -> None:
    strict_fb.add_user("psid1")
    strict_fb.fail_next(4, 2018354)
    with pytest.raises(Exception) as info:
        await client(SendMessage(recipient_id="psid1", message={"text": "x"}))
    assert not getattr(info.value, "transient", True)
    assert not isinstance(info.value, RateLimitError)


async def test_one_transient_failure_is_retried_in_call(
    client: GraphClient, strict_fb: FakeGraph
) -> None:
    strict_fb.add_user("psid1")
    strict_fb.http_status_next(503)
    result = await client(SendMessage(recipient_id="psid1", message={"text": "x"}))
    assert result.message_id
    assert [r.status for r in strict_fb.requests] == [503, 200]


async def test_a_session_middleware_added_later_runs_inside_the_clients(
    strict_fb: FakeGraph,
) -> None:
    """The extension point is the session's, as in aiogram: a middleware added after the
    client's sees every try (the quick retry is outside it) with the credentials already on
    the call; a session serves one client."""
    seen: list[tuple[str, list[str], str]] = []

    class Record(RequestMiddleware):
        async def __call__(self, call_next: Next, call: Call) -> Any:
            try:
                result = await call_next(call)
            except Exception as exc:
                seen.append(
                    (type(call.method).__name__, sorted(call.credentials), type(exc).__name__)
                )
                raise
            seen.append((type(call.method).__name__, sorted(call.credentials), "ok"))
            return result

    client = make_client(strict_fb)
    client.session.middleware(Record())
    strict_fb.add_user("psid1")
    strict_fb.http_status_next(503)
    try:
        await client(SendMessage(recipient_id="psid1", message={"text": "x"}))
    finally:
        await client.close()
    assert [r.status for r in strict_fb.requests] == [503, 200]
    keys = ["access_token", "appsecret_proof"]
    assert seen == [("SendMessage", keys, "TransientGraphError"), ("SendMessage", keys, "ok")]
    with pytest.raises(ValueError, match="already belongs"):
        GraphClient(client.session, strict_fb.page_token)


async def test_rate_limit_is_left_to_the_outbox(client: GraphClient, strict_fb: FakeGraph) -> None:
    strict_fb.add_user("psid1")
    strict_fb.fail_next(613)
    with pytest.raises(RateLimitError) as info:
        await client(SendMessage(recipient_id="psid1", message={"text": "x"}))
    assert info.value.transient
    assert len(strict_fb.requests) == 1


async def test_timeout_and_refused_connection_are_network_errors(strict_fb: FakeGraph) -> None:
    import aiohttp

    strict_fb.add_user("psid1")
    strict_fb.delay_next(1.0, times=2)
    session = AiohttpGraphSession(
        GraphAPIServer(strict_fb.base_url), timeout=aiohttp.ClientTimeout(total=0.2)
    )
    slow = GraphClient(
        session,
        strict_fb.page_token,
        app_secret=strict_fb.app_secret,
        retry=RetryPolicy(attempts=1),
    )
    try:
        with pytest.raises(GraphNetworkError) as info:
            await slow(SendAction(recipient_id="psid1", action="typing_on"))
        assert info.value.transient
        assert info.value.maybe_delivered and not info.value.retry_in_call  # may have arrived
    finally:
        await slow.close()
    nowhere = GraphClient(
        AiohttpGraphSession(GraphAPIServer("http://127.0.0.1:9")),
        "t",
        retry=RetryPolicy(attempts=1),
    )
    try:
        with pytest.raises(GraphNetworkError) as refused:
            await nowhere(GetMessengerProfile())
        assert not refused.value.maybe_delivered and refused.value.retry_in_call  # never sent
    finally:
        await nowhere.close()


async def test_upload_by_url_and_by_file(client: GraphClient, strict_fb: FakeGraph) -> None:
    by_url = await client(UploadAttachment(url="https://example.com/banner.png"))
    assert strict_fb.attachments[by_url].url == "https://example.com/banner.png"
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    by_file = await client(UploadAttachment(file=FilePart("wheel.png", png, "image/png")))
    stored = strict_fb.attachments[by_file]
    assert (stored.filename, stored.size, stored.content_type) == (
        "wheel.png",
        len(png),
        "image/png",
    )
    strict_fb.add_user("psid1")
    result = await client(
        SendMessage(
            recipient_id="psid1",
            message={"attachment": {"type": "image", "payload": {"attachment_id": by_file}}},
        )
    )
    assert result.message_id


async def test_user_profile_and_missing_profile(client: GraphClient, strict_fb: FakeGraph) -> None:
    strict_fb.add_user("psid1", "Lan", "Nguyễn")
    strict_fb.add_user("psid2", profile_access=False)
    profile = await client(GetUserProfile(psid="psid1"))
    assert (profile.first_name, profile.last_name, profile.name) == ("Lan", "Nguyễn", "Lan Nguyễn")
    with pytest.raises(NoProfileError):
        await client(GetUserProfile(psid="psid2"))


async def test_messenger_profile_get_set_delete(client: GraphClient, strict_fb: FakeGraph) -> None:
    assert await client(GetMessengerProfile()) == {}
    greeting = [
        {"locale": "default", "text": "Chào {{user_first_name}}!"},
        {"locale": "en_US", "text": "Hi {{user_first_name}}!"},
    ]
    menu = [
        {
            "locale": "default",
            "composer_input_disabled": False,
            "call_to_actions": [
                {"type": "postback", "title": "Thẻ thành viên", "payload": "card"}
            ],
        }
    ]
    assert await client(
        SetMessengerProfile(
            get_started={"payload": "GET_STARTED"},
            greeting=greeting,
            persistent_menu=menu,
            whitelisted_domains=["https://shop.example.vn"],
        )
    )
    current = await client(GetMessengerProfile())
    assert current["greeting"] == greeting
    assert current["get_started"] == {"payload": "GET_STARTED"}
    assert current["whitelisted_domains"] == ["https://shop.example.vn"]
    assert await client(DeleteMessengerProfile(fields=("persistent_menu", "whitelisted_domains")))
    current = await client(GetMessengerProfile(fields=("persistent_menu", "get_started")))
    assert current == {"get_started": {"payload": "GET_STARTED"}}


async def test_revoked_token(client: GraphClient, strict_fb: FakeGraph) -> None:
    strict_fb.revoke_token(strict_fb.page_token)
    with pytest.raises(InvalidTokenError):
        await client(GetMessengerProfile())
