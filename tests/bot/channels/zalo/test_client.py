"""The typed client against the fake Zalo over real HTTP: wire format, errors, retries."""

from __future__ import annotations

import pytest

from bot.channels.zalo import AiohttpSession, RetryPolicy, ZaloAPIServer, ZaloClient
from bot.channels.zalo.exceptions import (
    ZaloAttachmentError,
    ZaloError,
    ZaloHTTPError,
    ZaloNetworkError,
    ZaloNightError,
    ZaloParameterError,
    ZaloQuotaError,
    ZaloRecipientError,
    ZaloRejectedError,
    ZaloSetupError,
    ZaloTokenError,
    ZaloTransientError,
    error_for,
    seconds_until_morning,
)
from bot.channels.zalo.methods import (
    GetMessageQuota,
    GetOA,
    GetTags,
    GetUserDetail,
    GetUserList,
    RemoveFollowerFromTag,
    RemoveTag,
    SendMessage,
    SendZnsTemplate,
    TagFollower,
    UploadGif,
    UploadImage,
)
from bot.channels.zalo.tokens import TokenManager
from bot.channels.zalo.types import (
    MediaElement,
    MediaTemplate,
    Message,
    Recipient,
    TemplateAttachment,
)
from tests.fakes.zalo_api import FakeZalo

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
GIF = b"GIF89a" + b"\0" * 64


def text_to(user_id: str, text: str = "Chào bạn") -> SendMessage:
    return SendMessage(recipient=Recipient(user_id=user_id), message=Message(text=text))


async def test_send_uses_access_token_header_and_json(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.add_user("u1", "Lan")
    sent = await client(text_to("u1", "Xin chào, cảm ơn bạn!"))
    assert sent.message_id == zalo.sent[-1].message_id and sent.user_id == "u1"
    request = zalo.requests[-1]
    assert request.path == "/v3.0/oa/message/cs"
    assert request.headers["access_token"] and "Authorization" not in request.headers
    assert request.json()["message"]["text"] == "Xin chào, cảm ơn bạn!"


async def test_reads_use_a_single_data_query_param(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.add_user("u1", "Lan", user_id_by_app="55")
    detail = await client(GetUserDetail(user_id="u1"))
    assert (detail.display_name, detail.user_id_by_app, detail.user_is_follower) == (
        "Lan",
        "55",
        True,
    )
    assert zalo.requests[-1].method == "GET" and zalo.requests[-1].data == {"user_id": "u1"}
    listing = await client(GetUserList(count=50, is_follower=True))
    assert [u.user_id for u in listing.users] == ["u1"] and listing.total == 1
    oa = await client(GetOA())
    assert oa.oa_id == zalo.oa_id and oa.num_follower == 1
    quota = await client(GetMessageQuota(user_id="u1"))
    assert quota.cs_reply is not None and quota.cs_reply.remain == 8


async def test_tags_round_trip(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.add_user("u1", "Lan")
    await client(TagFollower(user_id="u1", tag_name="Thành viên Vàng"))
    assert await client(GetTags()) == ["Thành viên Vàng"]
    await client(RemoveFollowerFromTag(user_id="u1", tag_name="Thành viên Vàng"))
    assert zalo.users["u1"].tags == set()
    await client(RemoveTag(tag_name="Thành viên Vàng"))
    assert await client(GetTags()) == []


async def test_upload_then_send_by_attachment_id(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.add_user("u1", "Lan")
    image = await client(UploadImage(filename="thẻ.png", data=PNG, content_type="image/png"))
    assert image.attachment_id
    gif = await client(UploadGif(filename="a.gif", data=GIF, content_type="image/gif"))
    assert gif.attachment_id and gif.attachment_id != image.attachment_id
    media = MediaTemplate(
        elements=[MediaElement(media_type="image", attachment_id=image.attachment_id)]
    )
    message = Message(text="Thẻ của bạn", attachment=TemplateAttachment(payload=media))
    await client(SendMessage(recipient=Recipient(user_id="u1"), message=message))
    zalo.expire_attachment(image.attachment_id)
    with pytest.raises(ZaloAttachmentError):
        await client(SendMessage(recipient=Recipient(user_id="u1"), message=message))
    with pytest.raises(ZaloParameterError):  # not an image
        await client(UploadImage(filename="a.png", data=b"text"))


async def test_zns_by_phone(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.add_template("t1", ["name", "points"])
    result = await client(
        SendZnsTemplate(
            phone="84912345678",
            template_id="t1",
            template_data={"name": "Lan", "points": 120},
            tracking_id="o-1",
        )
    )
    assert (
        result.msg_id == zalo.zns_sent[-1].msg_id
        and result.quota
        and result.quota.remainingQuota == 499
    )
    with pytest.raises(ZaloParameterError):
        await client(SendZnsTemplate(phone="84912345678", template_id="nope", template_data={}))


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (-216, ZaloTokenError),
        (-220, ZaloTokenError),
        (-32, ZaloTransientError),
        (-100, ZaloAttachmentError),
        (-234, ZaloNightError),
        (-201, ZaloParameterError),
        (-210, ZaloParameterError),
        (-233, ZaloParameterError),
        (-213, ZaloRecipientError),
        (-217, ZaloRecipientError),
        (-227, ZaloRecipientError),
        (-230, ZaloRecipientError),
        (-232, ZaloRecipientError),
        (-244, ZaloRecipientError),
        (-204, ZaloSetupError),
        (-221, ZaloSetupError),
        (-321, ZaloSetupError),
        (-211, ZaloQuotaError),
        (-240, ZaloRejectedError),
    ],
)
def test_every_openapi_code_class(code: int, cls: type) -> None:
    err = error_for(code, "x")
    assert type(err) is cls and err.code == code


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (-124, ZaloTokenError),
        (-108, ZaloParameterError),
        (-1122, ZaloParameterError),
        (-118, ZaloRecipientError),
        (-139, ZaloRecipientError),
        (-144, ZaloQuotaError),
        (-133, ZaloNightError),
        (-131, ZaloSetupError),
    ],
)
def test_zns_code_classes(code: int, cls: type) -> None:
    assert type(error_for(code, "x", server="business")) is cls


def test_night_lasts_until_six_vietnam_time() -> None:
    from datetime import UTC, datetime

    # 23:00 in Vietnam is 16:00 UTC: 7 h 5 min to go.
    assert seconds_until_morning(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == 7 * 3600 + 300


async def test_recipient_errors_are_not_retried(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.add_user("u1", "Lan", last_interaction=zalo.now_ms() - 8 * 86_400_000)
    with pytest.raises(ZaloRecipientError) as info:
        await client(text_to("u1"))
    assert info.value.code == -230
    assert sum(r.path == "/v3.0/oa/message/cs" for r in zalo.requests) == 1


async def test_a_rate_limit_is_retried_in_call_but_a_5xx_is_not(
    zalo: FakeZalo, client: ZaloClient
) -> None:
    """Zalo refused the first (nothing sent): again at once. A 5xx may come after the send:
    the caller (the outbox) tries again later instead, knowing it may have arrived."""
    zalo.add_user("u1", "Lan")
    zalo.rate_limit(times=2, path="/v3.0/oa/message/cs")
    await client(text_to("u1"))
    assert len(zalo.sent) == 1
    assert sum(r.path == "/v3.0/oa/message/cs" for r in zalo.requests) == 3
    zalo.http_status_next(503, times=1, path="/v3.0/oa/message/cs")
    with pytest.raises(ZaloNetworkError) as caught:
        await client(text_to("u1"))
    assert caught.value.maybe_delivered and not caught.value.retry_in_call
    assert sum(r.path == "/v3.0/oa/message/cs" for r in zalo.requests) == 4  # no retry


async def test_retries_are_bounded(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.add_user("u1", "Lan")
    zalo.rate_limit(times=10, path="/v3.0/oa/message/cs")
    with pytest.raises(ZaloError):
        await client(text_to("u1"))
    assert len(zalo.requests) == 3 and zalo.sent == []


async def test_connection_errors_are_network_errors(tokens: TokenManager) -> None:
    dead = AiohttpSession(
        ZaloAPIServer("http://127.0.0.1:9", "http://127.0.0.1:9", "http://127.0.0.1:9")
    )
    client = ZaloClient(dead, tokens=tokens, retry=RetryPolicy(attempts=2, base=0.01))
    try:
        with pytest.raises(ZaloNetworkError):
            await client(GetOA())
    finally:
        await client.close()


async def test_unexpected_status_and_non_json(
    zalo: FakeZalo, session: AiohttpSession, tokens: TokenManager
) -> None:
    client = ZaloClient(session, tokens=tokens, retry=RetryPolicy(attempts=1))
    zalo.http_status_next(404, times=1)
    with pytest.raises(ZaloHTTPError):
        await client(GetOA())
    zalo.http_status_next(200, times=1)  # "injected failure" as text/plain
    with pytest.raises(ZaloNetworkError):
        await client(GetOA())


async def test_expired_token_is_refreshed_once_and_the_call_retried(
    zalo: FakeZalo, client: ZaloClient, tokens: TokenManager
) -> None:
    zalo.add_user("u1", "Lan")
    old = await tokens.access_token()
    zalo.expire_access_token(old)
    await client(text_to("u1"))
    assert zalo.refresh_count == 1 and len(zalo.sent) == 1
    assert await tokens.access_token() != old


async def test_token_error_after_refresh_is_raised_not_looped(
    zalo: FakeZalo, client: ZaloClient
) -> None:
    zalo.add_user("u1", "Lan")
    zalo.fail_next(-216, times=5, path="/v3.0/oa/message/cs")
    with pytest.raises(ZaloTokenError):
        await client(text_to("u1"))
    assert zalo.refresh_count == 1
    assert sum(r.path == "/v3.0/oa/message/cs" for r in zalo.requests) == 2
