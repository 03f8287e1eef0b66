"""Self-tests of the fake Zalo server: real HTTP on loopback, one behaviour per test."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import re
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fakes.zalo_api import DAY_MS, HOUR_MS, FakeZalo, pkce_challenge

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
GIF = b"GIF89a" + b"\0" * 64


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    """A tiny client speaking the wire format, so tests read like the calls they make."""

    def __init__(self, fake: FakeZalo, http: aiohttp.ClientSession, token: str) -> None:
        self.fake, self.http, self.token = fake, http, token

    async def post(self, path: str, body: Any, token: str | None = None) -> dict[str, Any]:
        headers = {"access_token": token if token is not None else self.token}
        async with self.http.post(self.fake.url + path, json=body, headers=headers) as r:
            assert r.status == 200
            return await r.json()

    async def get(self, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        params = {"data": json.dumps(data)} if data is not None else None
        async with self.http.get(
            self.fake.url + path, params=params, headers={"access_token": self.token}
        ) as r:
            return await r.json()

    async def send(self, user_id: str, message: dict[str, Any], **kw: Any) -> dict[str, Any]:
        body = {"recipient": {"user_id": user_id}, "message": message}
        return await self.post("/v3.0/oa/message/cs", body, **kw)

    async def upload(self, kind: str, data: bytes, filename: str) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("file", io.BytesIO(data), filename=filename)
        async with self.http.post(
            f"{self.fake.url}/v2.0/oa/upload/{kind}",
            data=form,
            headers={"access_token": self.token},
        ) as r:
            return await r.json()


@pytest.fixture
def api(zalo: FakeZalo, http: aiohttp.ClientSession) -> Api:
    return Api(zalo, http, zalo.issue_tokens()[0])


async def refresh(http: aiohttp.ClientSession, fake: FakeZalo, token: str, **kw: str) -> Any:
    form = {"refresh_token": token, "app_id": fake.app_id, "grant_type": "refresh_token"}
    headers = {"secret_key": kw.get("secret", fake.app_secret)}
    async with http.post(f"{fake.url}/v4/oa/access_token", data=form, headers=headers) as r:
        return await r.json()


def media(attachment_id: str, media_type: str = "image") -> dict[str, Any]:
    element = {"media_type": media_type, "attachment_id": attachment_id}
    return {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "media", "elements": [element]},
        }
    }


def button(kind: str = "oa.query.hide", payload: Any = "#menu") -> dict[str, Any]:
    return {"title": "Bấm", "type": kind, "payload": payload}


# --- OAuth ------------------------------------------------------------------------------------
async def test_refresh_rotates_and_rejects_reuse(zalo: FakeZalo, http: aiohttp.ClientSession):
    access, refresh_token = zalo.issue_tokens()
    api = Api(zalo, http, access)
    zalo.add_user("u1", "Lan")

    new = await refresh(http, zalo, refresh_token)
    assert new["expires_in"] == "90000" and new["access_token"] != access
    assert zalo.refresh_count == 1
    assert (await api.send("u1", {"text": "hi"}))["error"] == -220  # rotated out
    assert (await api.send("u1", {"text": "hi"}, token=new["access_token"]))["error"] == 0

    again = await refresh(http, zalo, refresh_token)
    assert "access_token" not in again
    assert again["error"] != 0 and again["error_name"] and again["error_reason"]
    assert zalo.refresh_count == 1


async def test_concurrent_refresh_with_one_token_yields_one_pair(
    zalo: FakeZalo, http: aiohttp.ClientSession
):
    _, refresh_token = zalo.issue_tokens()
    results = await asyncio.gather(*(refresh(http, zalo, refresh_token) for _ in range(3)))
    assert sum("access_token" in r for r in results) == 1


async def test_token_endpoint_checks_secret_and_form(zalo: FakeZalo, http: aiohttp.ClientSession):
    _, refresh_token = zalo.issue_tokens()
    assert "access_token" not in await refresh(http, zalo, refresh_token, secret="wrong")
    body = {"refresh_token": refresh_token, "app_id": zalo.app_id, "grant_type": "refresh_token"}
    async with http.post(
        f"{zalo.url}/v4/oa/access_token", json=body, headers={"secret_key": zalo.app_secret}
    ) as r:
        assert "access_token" not in await r.json()
    assert "access_token" in await refresh(http, zalo, refresh_token)  # still unused


async def test_authorization_code_with_pkce(zalo: FakeZalo, http: aiohttp.ClientSession):
    verifier = "v" * 43
    code = zalo.issue_auth_code(pkce_challenge(verifier))
    url, headers = f"{zalo.url}/v4/oa/access_token", {"secret_key": zalo.app_secret}
    form = {"code": code, "app_id": zalo.app_id, "grant_type": "authorization_code"}
    async with http.post(url, data={**form, "code_verifier": verifier}, headers=headers) as r:
        assert (await r.json())["expires_in"] == "90000"
    async with http.post(url, data={**form, "code_verifier": verifier}, headers=headers) as r:
        assert "access_token" not in await r.json()  # codes are single use


# --- tokens and the CS window -------------------------------------------------------------------
async def test_token_errors(zalo: FakeZalo, api: Api):
    zalo.add_user("u1", "Lan")
    assert (await api.send("u1", {"text": "a"}, token=""))["error"] == -216
    assert (await api.send("u1", {"text": "a"}, token="nope"))["error"] == -216
    zalo.expire_access_token(api.token)
    assert (await api.send("u1", {"text": "a"}))["error"] == -220
    other, _ = zalo.issue_tokens()
    zalo.advance(90001)
    assert (await api.send("u1", {"text": "a"}, token=other))["error"] == -220


async def test_send_success_and_billing_band(zalo: FakeZalo, api: Api):
    zalo.add_user("u1", "Lan")
    zalo.add_user("u2", "Minh", last_interaction=zalo.now_ms() - 3 * DAY_MS)
    zalo.add_user("u3", "Hoa", last_interaction=zalo.now_ms() - 8 * DAY_MS)
    reply = await api.send("u1", {"text": "Chào bạn"})
    assert reply["error"] == 0 and reply["data"]["user_id"] == "u1"
    assert re.fullmatch(r"[0-9a-f]{20}", reply["data"]["message_id"])
    assert (await api.send("u2", {"text": "x"}))["error"] == 0
    assert [(m.user_id, m.billed) for m in zalo.sent] == [("u1", False), ("u2", True)]
    assert (await api.send("u3", {"text": "x"}))["error"] == -230
    zalo.touch("u3")
    assert (await api.send("u3", {"text": "x"}))["error"] == 0
    assert (await api.send("ghost", {"text": "x"}))["error"] == -213
    assert zalo.requests[-1].headers["access_token"] == api.token


async def test_reply_by_message_id(zalo: FakeZalo, api: Api):
    event = zalo.events.user_send_text("u9", "Cho mình hỏi")
    body = {"recipient": {"message_id": event["message"]["msg_id"]}, "message": {"text": "Dạ"}}
    reply = await api.post("/v3.0/oa/message/cs", body)
    assert reply["data"]["user_id"] == "u9" and zalo.sent[-1].is_reply
    body["recipient"] = {"message_id": "ffffffffffffffffffff"}
    assert (await api.post("/v3.0/oa/message/cs", body))["error"] == -201


NFD_2000 = unicodedata.normalize("NFD", "ệ" * 2000)  # 6000 code points, 2000 after NFC


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"text": NFD_2000}, 0),
        ({"text": "a" * 2001}, -201),
        ({"text": ""}, -201),
        ({}, -201),
        ({"text": "a", "attachment": {"type": "file", "payload": {"token": "x"}}}, -201),
        (
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "list",
                        "elements": [{"title": "t"}],
                        "buttons": [button() for _ in range(6)],
                    },
                }
            },
            -201,
        ),
        (
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "list",
                        "elements": [{"title": "t"}],
                        "buttons": [button("oa.open.app")],
                    },
                }
            },
            -201,
        ),
        (
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "list",
                        "elements": [{"title": "t"}] * 5,
                        "buttons": [
                            button(),
                            button("oa.open.url", {"url": "https://a.vn"}),
                            button("oa.open.phone", {"phone_code": "84912345678"}),
                            button("oa.open.sms", {"phone_code": "8491", "content": "hi"}),
                            button("oa.query.show", "menu"),
                        ],
                    },
                }
            },
            0,
        ),
        (
            {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "list", "elements": [{"title": "t"}] * 6},
                }
            },
            -201,
        ),
        (
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "request_user_info",
                        "elements": [{"title": "t", "image_url": "https://a.vn/i.png"}] * 2,
                    },
                }
            },
            -201,
        ),
        (
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "media",
                        "elements": [
                            {
                                "media_type": "image",
                                "url": "https://a.vn/i.png",
                                "attachment_id": "1",
                            }
                        ],
                    },
                }
            },
            -201,
        ),
        ({**media("unknown-id")}, -100),
    ],
)
async def test_send_validation(zalo: FakeZalo, api: Api, message: dict[str, Any], code: int):
    zalo.add_user("u1", "Lan")
    assert (await api.send("u1", message))["error"] == code


async def test_recipient_takes_exactly_one_key(zalo: FakeZalo, api: Api):
    zalo.add_user("u1", "Lan")
    body = {"recipient": {"user_id": "u1", "message_id": "m"}, "message": {"text": "a"}}
    assert (await api.post("/v3.0/oa/message/cs", body))["error"] == -201


# --- uploads ----------------------------------------------------------------------------------
async def test_upload_use_and_expiry(zalo: FakeZalo, api: Api):
    zalo.add_user("u1", "Lan")
    first = (await api.upload("image", PNG, "a.png"))["data"]["attachment_id"]
    second = (await api.upload("image", PNG, "b.png"))["data"]["attachment_id"]
    assert (await api.send("u1", {**media(first), "text": "Ảnh đẹp"}))["error"] == 0
    zalo.expire_attachment(first)
    assert (await api.send("u1", media(first)))["error"] == -100
    zalo.advance(7 * 24 * 3600 + 1)
    zalo.touch("u1")
    api.token = zalo.issue_tokens()[0]  # the old one expired after 25 h
    assert (await api.send("u1", media(second)))["error"] == -100


async def test_upload_checks_type_and_size(zalo: FakeZalo, api: Api):
    zalo.add_user("u1", "Lan")
    assert (await api.upload("image", GIF, "a.gif"))["error"] == -201
    assert (await api.upload("image", PNG + b"\0" * 1024 * 1024, "big.png"))["error"] == -201
    gif = (await api.upload("gif", GIF, "a.gif"))["data"]["attachment_id"]
    assert (await api.send("u1", media(gif, "gif")))["error"] == -201  # no width/height
    token = (await api.upload("file", b"%PDF-1.4 x", "menu.pdf"))["data"]["token"]
    file_message = {"attachment": {"type": "file", "payload": {"token": token}}}
    assert (await api.send("u1", file_message))["error"] == 0
    assert (await api.send("u1", media(token)))["error"] == -100  # a file token is no image


# --- other OA endpoints -----------------------------------------------------------------------
async def test_user_detail_list_tags_and_quota(zalo: FakeZalo, api: Api):
    zalo.add_user("u1", "Nguyễn Văn Lan", user_id_by_app="app-u1")
    zalo.add_user("u2", "Minh", is_follower=False)
    detail = (await api.get("/v3.0/oa/user/detail", {"user_id": "u1"}))["data"]
    assert detail["display_name"] == "Nguyễn Văn Lan" and detail["user_id_by_app"] == "app-u1"
    assert (await api.get("/v3.0/oa/user/getlist", {"offset": 0, "count": 51}))["error"] == -201
    listing = await api.get(
        "/v3.0/oa/user/getlist", {"offset": 0, "count": 50, "is_follower": True}
    )
    assert listing["data"]["users"] == [{"user_id": "u1"}]
    tag = {"user_id": "u1", "tag_name": "vip"}
    assert (await api.post("/v2.0/oa/tag/tagfollower", tag))["error"] == 0
    assert (await api.get("/v2.0/oa/tag/gettagsofoa"))["data"] == ["vip"]
    listing = await api.get("/v3.0/oa/user/getlist", {"count": 10, "tag_name": "vip"})
    assert listing["data"]["total"] == 1
    assert (await api.post("/v2.0/oa/tag/rmtag", {"tag_name": "vip"}))["error"] == 0
    assert zalo.users["u1"].tags == set()
    quota = (await api.post("/v3.0/oa/quota/message", {"user_id": "u1"}))["data"]
    assert quota["last_interaction"] == zalo.users["u1"].last_interaction
    assert (await api.get("/v2.0/oa/getoa"))["data"]["oa_id"] == zalo.oa_id
    assert (await api.post("/v2.0/oa/message", {}))["error"] == -240


# --- fault injection ----------------------------------------------------------------------------
async def test_fault_injection(zalo: FakeZalo, api: Api, http: aiohttp.ClientSession):
    zalo.add_user("u1", "Lan")
    zalo.rate_limit(1)
    assert (await api.send("u1", {"text": "a"}))["error"] == -32
    assert (await api.send("u1", {"text": "a"}))["error"] == 0
    zalo.http_status_next(503, times=2)
    for expected in (503, 503, 200):
        async with http.get(zalo.url + "/v2.0/oa/getoa", headers={"access_token": api.token}) as r:
            assert r.status == expected
    zalo.fail_next(-200, path="/v3.0/oa/message/cs")
    assert (await api.get("/v2.0/oa/getoa"))["error"] == 0  # other paths unaffected
    assert (await api.send("u1", {"text": "a"}))["error"] == -200
    assert len(zalo.sent) == 1
    assert sum(r.path == "/v3.0/oa/message/cs" for r in zalo.requests) == 3


# --- Graph (Mini App) ---------------------------------------------------------------------
async def test_graph_me_checks_appsecret_proof(zalo: FakeZalo, http: aiohttp.ClientSession):
    token = zalo.miniapp_login("app-u1", "Lan")
    proof = hmac.new(b"appsecret", token.encode(), hashlib.sha256).hexdigest()
    url = f"{zalo.url}/v2.0/me?fields=id,name,picture"
    async with http.get(url, headers={"access_token": token, "appsecret_proof": proof}) as r:
        me = await r.json()
    assert me["id"] == "app-u1" and me["name"] == "Lan" and me["picture"]["data"]["url"]
    async with http.get(url, headers={"access_token": token, "appsecret_proof": "0" * 64}) as r:
        assert (await r.json())["error"] != 0
    async with http.get(url, headers={"access_token": "bad", "appsecret_proof": proof}) as r:
        assert "id" not in (body := await r.json()) and body["error"] != 0


async def test_phone_code_is_single_use(zalo: FakeZalo, http: aiohttp.ClientSession):
    token = zalo.miniapp_login("app-u1", "Lan")

    async def resolve(code: str, secret: str = "appsecret", access: str = token) -> Any:
        headers = {"access_token": access, "code": code, "secret_key": secret}
        async with http.get(f"{zalo.url}/v2.0/me/info", headers=headers) as r:
            return await r.json()

    code = zalo.phone_token(token, "84912345678")
    assert (await resolve(code, secret="wrong"))["error"] != 0
    assert await resolve(code) == {
        "data": {"number": "84912345678"},
        "error": 0,
        "message": "Success",
    }
    assert (await resolve(code))["error"] != 0
    stale = zalo.phone_token(token, "84912345678")
    zalo.advance(121)
    assert (await resolve(stale))["error"] != 0
    other = zalo.phone_token(zalo.miniapp_login("app-u2", "Minh"), "84900000000")
    assert (await resolve(other))["error"] != 0  # bound to its own access token


# --- ZNS ----------------------------------------------------------------------------------------
async def test_zns_validation_and_quota(api: Api):
    zalo = api.fake
    zalo.zns_daily_quota = 1
    zalo.add_template("t1", ["name", "points"])

    async def zns(phone: str, template_id: str = "t1", data: Any = None) -> Any:
        data = {"name": "Lan", "points": "120"} if data is None else data
        body = {
            "phone": phone,
            "template_id": template_id,
            "template_data": data,
            "tracking_id": "trk-1",
        }
        return await api.post("/message/template", body)

    assert (await zns("0912345678"))["error"] == -108
    assert (await zns("84912345678", "t404"))["error"] == -109
    assert (await zns("84912345678", data={"name": "Lan"}))["error"] == -1122
    sent = await zns("84912345678")
    assert sent["error"] == 0 and sent["data"]["quota"]["remainingQuota"] == "0"
    assert zalo.zns_sent[0].tracking_id == "trk-1"
    assert (await zns("84912345678"))["error"] == -144
    zalo.advance(24 * 3600)  # the next day in Vietnam: the daily quota refilled
    assert (await zns("84912345678"))["error"] == 0


async def test_zbs_by_uid_reports_its_quota_and_runs_out(api: Api):
    zalo = api.fake
    zalo.zns_daily_quota = 2
    zalo.uid_quota_type = "purchase_quota"
    zalo.add_template("t1", ["name"], by_uid=True)
    zalo.add_user("z1", "Lan")
    body = {"user_id": "z1", "template_id": "t1", "template_data": {"name": "Lan"}}
    remains = []
    for _ in range(2):
        sent = await api.post("/v3.0/oa/message/template", body)
        assert sent["error"] == 0, sent
        assert sent["data"]["quota"]["quota_type"] == "purchase_quota"
        remains.append(sent["data"]["quota"]["remain"])
    assert remains == [1, 0]
    assert (await api.post("/v3.0/oa/message/template", body))["error"] == -144


# --- webhooks ----------------------------------------------------------------------------
def test_signature_matches_hand_computed_vector():
    fake = FakeZalo(app_id="3608465248940903967", oa_secret_key="oa-secret")
    raw = '{"app_id":"3608465248940903967","message":{"text":"Chào shop, ưu đãi?"},'
    raw += '"timestamp":"1699003881354"}'
    expected = hashlib.sha256(
        f"3608465248940903967{raw}1699003881354oa-secret".encode()
    ).hexdigest()
    assert fake.sign(raw.encode(), "1699003881354") == f"mac={expected}"
    fake.mac_id, fake.mac_key = "oa_id", "app_secret"
    variant = hashlib.sha256(f"oa1{raw}1699003881354appsecret".encode()).hexdigest()
    assert fake.sign(raw.encode(), "1699003881354") == f"mac={variant}"


@pytest.fixture
async def receiver(aiohttp_server: Any) -> tuple[str, list[tuple[bytes, dict[str, str]]]]:
    """A webhook endpoint that checks the MAC the way the bot should."""
    seen: list[tuple[bytes, dict[str, str]]] = []

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw)
        digest = hashlib.sha256(
            f"app1{raw.decode()}{body['timestamp']}oasecret".encode()
        ).hexdigest()
        seen.append((raw, dict(request.headers)))
        good = request.headers.get("X-ZEvent-Signature") == f"mac={digest}"
        return web.Response(status=200 if good else 401)

    app = web.Application()
    app.router.add_post("/webhooks/zalo", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/webhooks/zalo")), seen


async def test_deliver_signs_and_redelivers_identical_bytes(zalo: FakeZalo, receiver: Any):
    url, seen = receiver
    event = zalo.events.user_send_text("u1", "Chào shop, cho mình hỏi ưu đãi")
    assert isinstance(event["timestamp"], str) and isinstance(event["message"]["msg_id"], str)
    assert await zalo.deliver(url, event, times=3) == [200, 200, 200]
    assert len({raw for raw, _ in seen}) == 1
    assert "Chào shop".encode() in seen[0][0]  # raw UTF-8, not \u escapes
    assert [h.get("num_retry") for _, h in seen] == [None, "1", "2"]
    assert await zalo.deliver(url, event, bad_signature=True) == [401]
    assert await zalo.deliver(url, event, times=2, concurrently=True) == [200, 200]


async def test_event_fixtures_shapes(zalo: FakeZalo):
    follow = zalo.events.follow("u1")
    assert follow["follower"] == {"id": "u1"} and follow["oa_id"] == zalo.oa_id
    assert zalo.users["u1"].is_follower
    seen = zalo.events.user_seen_message("u1", ["m1", "m2"])
    assert seen["sender"]["id"] == zalo.oa_id and seen["message"]["msg_ids"] == ["m1", "m2"]
    info = zalo.events.user_submit_info("u1", name="Lan", phone="84912345678")
    assert info["info"]["phone"] == "84912345678" and info["sender"] == {"id": "u1"}
    location = zalo.events.user_send_location("u1", 10.77, 106.7)
    assert location["message"]["attachments"][0]["payload"]["coordinates"]["latitude"] == "10.77"
    assert zalo.events.unfollow("u1")["event_name"] == "unfollow"
    assert not zalo.users["u1"].is_follower
    stale = zalo.now_ms() - 2 * HOUR_MS
    zalo.touch("u1", at=stale)
    zalo.events.user_click_chatnow("u1")
    assert zalo.users["u1"].last_interaction > stale


async def test_echo_after_send(zalo: FakeZalo, api: Api, receiver: Any):
    url, seen = receiver
    zalo.echo_url = url
    zalo.add_user("u1", "Lan")
    message_id = (await api.send("u1", {"text": "Cảm ơn bạn"}))["data"]["message_id"]
    await zalo.settle()
    echo = json.loads(seen[0][0])
    assert echo["event_name"] == "oa_send_text" and echo["message"]["msg_id"] == message_id
    assert echo["recipient"] == {"id": "u1"}
