"""The fake Graph API speaks Meta's wire format and enforces its rules over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, FormData, web
from aiohttp.test_utils import TestServer

from tests.fakes.graph_api import FakeGraph

HOUR = 3600.0
Json = dict[str, Any]


@pytest.fixture
async def fb() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        fake.add_user("u1", "Lan", "Nguyễn")
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def call(
    http: ClientSession,
    fb: FakeGraph,
    method: str,
    path: str,
    *,
    token: str | None = "PAGE_TOKEN",
    version: str = "v25.0",
    **kwargs: Any,
) -> tuple[int, Json]:
    params = dict(kwargs.pop("params", {}))
    if token is not None:
        params["access_token"] = token
    async with http.request(method, fb.url(path, version), params=params, **kwargs) as resp:
        return resp.status, await resp.json()


def text_body(text: str = "Xin chào", psid: str = "u1", **extra: Any) -> Json:
    return {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {"text": text},
        **extra,
    }


def assert_error(status: int, body: Json, code: int, subcode: int | None = None) -> Json:
    assert status == 400, body
    err = body["error"]
    assert err["code"] == code, err
    assert err.get("error_subcode") == subcode, err
    assert err["fbtrace_id"] and err["type"]
    return err


# -- Send API -------------------------------------------------------------------------------
async def test_send_text_json_and_form(fb: FakeGraph, http: ClientSession) -> None:
    status, body = await call(http, fb, "POST", "me/messages", json=text_body())
    assert status == 200
    assert body["recipient_id"] == "u1"
    assert body["message_id"].startswith("m_")

    form = {
        "recipient": json.dumps({"id": "u1"}),
        "messaging_type": "UPDATE",
        "message": json.dumps({"text": "Điểm của bạn"}),
    }
    status, body = await call(http, fb, "POST", "page1/messages", version="v19.0", data=form)
    assert status == 200, body
    assert fb.texts("u1") == ["Xin chào", "Điểm của bạn"]
    assert fb.sent[1].body["messaging_type"] == "UPDATE"
    assert "access_token" not in fb.sent[0].body
    assert [r.status for r in fb.requests] == [200, 200]


async def test_sender_action_answers_recipient_only(fb: FakeGraph, http: ClientSession) -> None:
    body = {"recipient": {"id": "u1"}, "sender_action": "typing_on"}
    status, answer = await call(http, fb, "POST", "me/messages", json=body)
    assert (status, answer) == (200, {"recipient_id": "u1"})
    assert fb.sent[0].sender_action == "typing_on"


def quick_replies(n: int, title: str = "Chọn") -> list[Json]:
    return [{"content_type": "text", "title": title, "payload": f"Q{i}"} for i in range(n)]


def button_template(n: int, title: str = "Quay") -> Json:
    buttons = [{"type": "postback", "title": title, "payload": f"B{i}"} for i in range(n)]
    payload = {"template_type": "button", "text": "Chọn một", "buttons": buttons}
    return {"attachment": {"type": "template", "payload": payload}}


def generic(n: int, title: str = "Thẻ") -> Json:
    elements = [{"title": title, "subtitle": "ưu đãi"} for _ in range(n)]
    payload = {"template_type": "generic", "elements": elements}
    return {"attachment": {"type": "template", "payload": payload}}


@pytest.mark.parametrize(
    ("message", "ok", "needle"),
    [
        ({"text": "a" * 2000}, True, ""),
        ({"text": "ạ" * 2001}, False, "2000"),
        ({"text": "hi", "quick_replies": quick_replies(13)}, True, ""),
        ({"text": "hi", "quick_replies": quick_replies(14)}, False, "quick_replies"),
        ({"text": "hi", "quick_replies": quick_replies(1, "x" * 21)}, False, "title"),
        (button_template(3), True, ""),
        (button_template(4), False, "buttons"),
        (button_template(0), False, "buttons"),
        (button_template(1, "x" * 21), False, "title"),
        (generic(10), True, ""),
        (generic(11), False, "elements"),
        (generic(1, "x" * 81), False, "title"),
        ({"text": "hi", "attachment": {"type": "image"}}, False, "exactly one"),
    ],
)
async def test_send_limits(
    fb: FakeGraph, http: ClientSession, message: Json, ok: bool, needle: str
) -> None:
    body = {"recipient": {"id": "u1"}, "messaging_type": "RESPONSE", "message": message}
    status, answer = await call(http, fb, "POST", "me/messages", json=body)
    if ok:
        assert status == 200, answer
        assert len(fb.sent) == 1
    else:
        err = assert_error(status, answer, 100)
        assert needle in err["message"]
        assert fb.sent == []


@pytest.mark.parametrize(
    "extra",
    [
        {"messaging_type": "PROMO"},
        {"messaging_type": "MESSAGE_TAG"},
        {"messaging_type": "MESSAGE_TAG", "tag": "PROMOTION"},
        {"sender_action": "typing_on"},
        {"metadata": "belongs inside message"},
        {"recipient": {"id": "u1", "user_ref": "r"}},
    ],
)
async def test_send_structure_errors(fb: FakeGraph, http: ClientSession, extra: Json) -> None:
    status, answer = await call(http, fb, "POST", "me/messages", json=text_body(**extra))
    assert_error(status, answer, 100)


async def test_unknown_and_blocked_recipients(fb: FakeGraph, http: ClientSession) -> None:
    status, body = await call(http, fb, "POST", "me/messages", json=text_body(psid="nobody"))
    assert_error(status, body, 100, 2018001)
    fb.add_user("u2", "Minh", "Trần", blocked=True)
    status, body = await call(http, fb, "POST", "me/messages", json=text_body(psid="u2"))
    assert_error(status, body, 551, 1545041)


async def test_24h_window_and_tags(fb: FakeGraph, http: ClientSession) -> None:
    now = fb.clock()
    fb.add_user("old", "Hoa", "Lê", last_inbound=now - 25 * HOUR)
    status, body = await call(http, fb, "POST", "me/messages", json=text_body(psid="old"))
    err = assert_error(status, body, 10, 2018278)
    assert "outside of allowed window" in err["message"]

    receipt = text_body(psid="old", messaging_type="MESSAGE_TAG", tag="POST_PURCHASE_UPDATE")
    status, body = await call(http, fb, "POST", "me/messages", json=receipt)
    assert status == 200, body

    agent = text_body(psid="old", messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    fb.users["old"].last_inbound = now - 6 * 24 * HOUR
    status, body = await call(http, fb, "POST", "me/messages", json=agent)
    assert status == 200, body
    fb.users["old"].last_inbound = now - 8 * 24 * HOUR
    status, body = await call(http, fb, "POST", "me/messages", json=agent)
    assert_error(status, body, 10, 2018278)

    fb.touch("old")
    status, body = await call(http, fb, "POST", "me/messages", json=text_body(psid="old"))
    assert status == 200, body


# -- auth --------------------------------------------------------------------------------------
async def test_tokens(fb: FakeGraph, http: ClientSession) -> None:
    status, body = await call(http, fb, "POST", "me/messages", token="nope", json=text_body())
    err = assert_error(status, body, 190)
    assert err["type"] == "OAuthException"

    status, body = await call(http, fb, "POST", "me/messages", token=None, json=text_body())
    assert_error(status, body, 104)

    headers = {"Authorization": "Bearer PAGE_TOKEN"}
    status, body = await call(
        http, fb, "POST", "me/messages", token=None, json=text_body(), headers=headers
    )
    assert status == 200, body

    fb.revoke_token("PAGE_TOKEN")
    status, body = await call(http, fb, "POST", "me/messages", json=text_body())
    assert_error(status, body, 190)


async def test_appsecret_proof(fb: FakeGraph, http: ClientSession) -> None:
    proof = hmac.new(b"fbsecret", b"PAGE_TOKEN", hashlib.sha256).hexdigest()
    ok = await call(http, fb, "GET", "me", params={"appsecret_proof": proof})
    assert ok == (200, {"id": "page1", "name": "Fake Page"})

    status, body = await call(http, fb, "GET", "me", params={"appsecret_proof": "0" * 64})
    assert "appsecret_proof" in assert_error(status, body, 100)["message"]

    fb.require_appsecret_proof = True
    status, body = await call(http, fb, "GET", "me")
    assert "appsecret_proof" in assert_error(status, body, 100)["message"]
    assert (await call(http, fb, "GET", "me", params={"appsecret_proof": proof}))[0] == 200


async def test_unversioned_and_unknown_paths(fb: FakeGraph, http: ClientSession) -> None:
    async with http.post(f"{fb.base_url}/me/messages", json=text_body()) as resp:
        assert resp.status == 400
    status, body = await call(http, fb, "POST", "otherpage/messages", json=text_body())
    assert_error(status, body, 100, 33)
    assert fb.sent == []


# -- Messenger Profile, User Profile, subscription ---------------------------------------------
async def test_messenger_profile_lifecycle(fb: FakeGraph, http: ClientSession) -> None:
    menu = [
        {
            "locale": "default",
            "composer_input_disabled": False,
            "call_to_actions": [
                {"type": "postback", "title": "Vòng quay may mắn", "payload": "game:wheel"},
                {"type": "web_url", "title": "Thẻ thành viên", "url": "https://example.test/c"},
            ],
        }
    ]
    greeting = [{"locale": "default", "text": "Chào {{user_first_name}}!"}]
    status, body = await call(
        http, fb, "POST", "me/messenger_profile", json={"persistent_menu": menu}
    )
    assert "get_started" in assert_error(status, body, 100)["message"]

    profile = {"get_started": {"payload": "GET_STARTED"}, "greeting": greeting}
    profile["persistent_menu"] = menu
    status, body = await call(http, fb, "POST", "me/messenger_profile", json=profile)
    assert (status, body) == (200, {"result": "success"})

    fields = {"fields": "greeting,get_started,ice_breakers"}
    status, body = await call(http, fb, "GET", "me/messenger_profile", params=fields)
    assert body == {"data": [{"greeting": greeting, "get_started": {"payload": "GET_STARTED"}}]}

    drop = {"fields": ["greeting", "persistent_menu"]}
    status, body = await call(http, fb, "DELETE", "me/messenger_profile", json=drop)
    assert (status, body) == (200, {"result": "success"})
    status, body = await call(
        http, fb, "GET", "me/messenger_profile", params={"fields": "greeting,persistent_menu"}
    )
    assert body == {"data": []}


@pytest.mark.parametrize(
    "profile",
    [
        {"greeting": [{"locale": "default", "text": "x" * 161}]},
        {"greeting": [{"locale": "vi_VN", "text": "Chào"}]},
        {
            "ice_breakers": [
                {
                    "locale": "default",
                    "call_to_actions": [
                        {"question": f"Câu {i}?", "payload": f"Q{i}"} for i in range(5)
                    ],
                }
            ]
        },
        {"colour": "red"},
    ],
)
async def test_messenger_profile_rejects(
    fb: FakeGraph, http: ClientSession, profile: Json
) -> None:
    status, body = await call(http, fb, "POST", "me/messenger_profile", json=profile)
    assert_error(status, body, 100)
    assert fb.profiles.get("page1", {}) == {}


async def test_messenger_profile_rate_limit(http: ClientSession) -> None:
    async with FakeGraph(profile_rate_limit=2) as fb:
        get = {"fields": "greeting"}
        for _ in range(2):
            assert (await call(http, fb, "GET", "me/messenger_profile", params=get))[0] == 200
        status, body = await call(http, fb, "GET", "me/messenger_profile", params=get)
        assert_error(status, body, 613)


async def test_user_profile_and_subscription(fb: FakeGraph, http: ClientSession) -> None:
    fields = {"fields": "first_name,last_name"}
    status, body = await call(http, fb, "GET", "u1", params=fields)
    assert (status, body) == (200, {"first_name": "Lan", "last_name": "Nguyễn", "id": "u1"})
    fb.add_user("phone", "A", "B", profile_access=False)
    status, body = await call(http, fb, "GET", "phone", params=fields)
    assert_error(status, body, 100, 2018218)

    subscribe = {"subscribed_fields": "messages,messaging_postbacks"}
    status, body = await call(http, fb, "POST", "page1/subscribed_apps", params=subscribe)
    assert (status, body) == (200, {"success": True})
    assert fb.subscriptions["page1"] == ["messages", "messaging_postbacks"]


async def test_user_menu_and_handover(fb: FakeGraph, http: ClientSession) -> None:
    menu = [
        {
            "locale": "default",
            "call_to_actions": [{"type": "postback", "title": "Quà", "payload": "gift"}],
        }
    ]
    settings = {"psid": "u1", "persistent_menu": menu}
    status, body = await call(http, fb, "POST", "me/custom_user_settings", json=settings)
    assert "get_started" in assert_error(status, body, 100)["message"]
    started = {"get_started": {"payload": "GET_STARTED"}}
    assert (await call(http, fb, "POST", "me/messenger_profile", json=started))[0] == 200
    status, body = await call(http, fb, "POST", "me/custom_user_settings", json=settings)
    assert (status, body) == (200, {"result": "success"})
    assert fb.user_settings[("page1", "u1")] == menu

    handover = {"recipient": {"id": "u1"}, "target_app_id": 263902037430900}
    status, body = await call(http, fb, "POST", "page1/pass_thread_control", json=handover)
    assert (status, body) == (200, {"success": True})
    assert fb.thread_control[0][0] == "pass_thread_control"


# -- attachments ---------------------------------------------------------------------------------
async def test_upload_and_reuse(fb: FakeGraph, http: ClientSession) -> None:
    by_url = {
        "message": {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://example.test/w.png", "is_reusable": True},
            }
        }
    }
    status, body = await call(http, fb, "POST", "me/message_attachments", json=by_url)
    assert status == 200, body
    first = body["attachment_id"]

    form = FormData()
    form.add_field(
        "message", json.dumps({"attachment": {"type": "image", "payload": {"is_reusable": True}}})
    )
    form.add_field("filedata", b"\x89PNG fake", filename="wheel.png", content_type="image/png")
    status, body = await call(http, fb, "POST", "page1/message_attachments", data=form)
    assert status == 200, body
    assert body["attachment_id"] != first
    assert fb.attachments[body["attachment_id"]].size == len(b"\x89PNG fake")

    wrong = FormData()
    wrong.add_field(
        "message", json.dumps({"attachment": {"type": "video", "payload": {"is_reusable": True}}})
    )
    wrong.add_field("filedata", b"text", filename="a.txt", content_type="text/plain")
    status, answer = await call(http, fb, "POST", "me/message_attachments", data=wrong)
    assert_error(status, answer, 100)
    assert len(fb.attachments) == 2

    bad = json.loads(json.dumps(by_url))
    bad["message"]["attachment"]["type"] = "template"
    status, answer = await call(http, fb, "POST", "me/message_attachments", json=bad)
    assert_error(status, answer, 100)

    def image(aid: str) -> Json:
        return {"attachment": {"type": "image", "payload": {"attachment_id": aid}}}

    send = {"recipient": {"id": "u1"}, "messaging_type": "RESPONSE", "message": image(first)}
    assert (await call(http, fb, "POST", "me/messages", json=send))[0] == 200
    send["message"] = image("123")
    status, answer = await call(http, fb, "POST", "me/messages", json=send)
    assert "attachment_id" in assert_error(status, answer, 100)["message"]


# -- faults ------------------------------------------------------------------------------------
async def test_fault_injection(fb: FakeGraph, http: ClientSession) -> None:
    fb.fail_next(613, path_contains="/messages")
    status, body = await call(http, fb, "GET", "me")  # other path: untouched
    assert status == 200
    status, body = await call(http, fb, "POST", "me/messages", json=text_body())
    assert assert_error(status, body, 613)["is_transient"] is True
    status, body = await call(http, fb, "POST", "me/messages", json=text_body())
    assert status == 200, body
    assert len(fb.sent) == 1

    fb.http_status_next(500, times=2)
    for _ in range(2):
        status, body = await call(http, fb, "POST", "me/messages", json=text_body())
        assert status == 500
        assert body["error"]["code"] == 2
    assert (await call(http, fb, "POST", "me/messages", json=text_body()))[0] == 200

    fb.fail_next(10, 2018278)
    status, body = await call(http, fb, "POST", "me/messages", json=text_body())
    assert_error(status, body, 10, 2018278)


# -- webhook driver ------------------------------------------------------------------------------
class Receiver:
    """A tiny webhook endpoint that records exactly what arrived."""

    def __init__(self) -> None:
        self.statuses: list[int] = []  # answers to give first, then 200
        self.hits: list[tuple[bytes, dict[str, str]]] = []
        self.app = web.Application()
        self.app.router.add_post("/hook", self.post)
        self.app.router.add_get("/hook", self.get)

    async def post(self, request: web.Request) -> web.Response:
        self.hits.append((await request.read(), dict(request.headers)))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def get(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == "verify-me":
            return web.Response(text=q["hub.challenge"])
        return web.Response(status=403)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    rec = Receiver()
    server = TestServer(rec.app, host="127.0.0.1")
    await server.start_server()
    yield rec, str(server.make_url("/hook"))
    await server.close()


def test_sign_matches_independent_vector(fb: FakeGraph) -> None:
    raw = b'{"text":"Ch\\u00e0o b\\u1ea1n, \\u0111\\u1ed5i \\u0111i\\u1ec3m"}'
    expected = hmac.new(b"fbsecret", raw, hashlib.sha256).hexdigest()
    assert fb.sign(raw) == "sha256=" + expected
    assert json.loads(raw)["text"] == "Chào bạn, đổi điểm"


async def test_deliver_signs_escaped_bytes(fb: FakeGraph, receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    envelope = fb.envelope(fb.message("u1", "Chào bạn, đổi điểm"), fb.postback("u1", "SPIN"))
    statuses = await fb.deliver(url, envelope, times=3, concurrently=True)
    assert statuses == [200, 200, 200]
    bodies = {raw for raw, _ in rec.hits}
    assert len(bodies) == 1
    raw, headers = rec.hits[0]
    assert raw.isascii() and b"\\u0111" in raw
    digest = hmac.new(b"fbsecret", raw, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={digest}"
    parsed = json.loads(raw)
    assert [len(e["messaging"]) for e in parsed["entry"]] == [1, 1]
    assert parsed["entry"][0]["messaging"][0]["message"]["text"] == "Chào bạn, đổi điểm"

    await fb.deliver(url, envelope, bad_signature=True)
    assert rec.hits[-1][1]["X-Hub-Signature-256"] != f"sha256={digest}"
    await fb.deliver(url, envelope, no_signature=True)
    assert "X-Hub-Signature-256" not in rec.hits[-1][1]


async def test_deliver_opens_window(
    fb: FakeGraph, http: ClientSession, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    fb.add_user("late", "An", "Phạm", last_inbound=fb.clock() - 30 * HOUR)
    await fb.deliver(url, fb.envelope(fb.read("late"), fb.reaction("late", "m_x")))
    status, _ = await call(http, fb, "POST", "me/messages", json=text_body(psid="late"))
    assert status == 400
    await fb.deliver(url, fb.envelope(fb.message("late", "menu")))
    status, _ = await call(http, fb, "POST", "me/messages", json=text_body(psid="late"))
    assert status == 200


def test_envelope_shapes(fb: FakeGraph) -> None:
    items = [fb.message("u1", "a"), fb.message("u1", "b"), fb.postback("u1", "P", referral="ad1")]
    one = fb.envelope(*items, one_entry=True)
    assert [len(e["messaging"]) for e in one["entry"]] == [3]
    mids = [i["message"]["mid"] for i in one["entry"][0]["messaging"][:2]]
    assert len(set(mids)) == 2
    assert one["entry"][0]["messaging"][2]["postback"]["referral"]["ref"] == "ad1"

    standby = fb.envelope(fb.postback("u1", "SECRET"), standby=True)
    item = standby["entry"][0]["standby"][0]
    assert "payload" not in item["postback"] and "messaging" not in standby["entry"][0]

    fb.string_timestamps = True
    entry = fb.envelope(fb.delivery("u1", mids))["entry"][0]
    assert isinstance(entry["time"], str)
    assert isinstance(entry["messaging"][0]["timestamp"], str)
    assert isinstance(entry["messaging"][0]["delivery"]["watermark"], str)

    echo = fb.echo("u1", "hi", metadata="x")
    assert echo["sender"] == {"id": "page1"} and echo["message"]["is_echo"] is True


async def test_redelivery_until_ok(fb: FakeGraph, receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    rec.statuses = [500, 503]
    envelope = fb.envelope(fb.message("u1", "hi"))
    assert await fb.deliver_with_retries(url, envelope, attempts=5) == [500, 503, 200]
    assert len({raw for raw, _ in rec.hits}) == 1
    rec.statuses = [500] * 3
    assert await fb.deliver_with_retries(url, envelope, attempts=2) == [500, 500]


async def test_verify_handshake(fb: FakeGraph, receiver: tuple[Receiver, str]) -> None:
    _, url = receiver
    assert await fb.verify(url, challenge="12345") == (200, "12345")
    status, _ = await fb.verify(url, token="wrong")
    assert status == 403


async def test_auto_echo_after_send(
    fb: FakeGraph, http: ClientSession, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    fb.auto_webhooks(url, echoes=True, deliveries=True)
    request = text_body("Chào")
    request["message"]["metadata"] = "t1"
    _, answer = await call(http, fb, "POST", "me/messages", json=request)
    await fb.drain()
    (raw, headers) = rec.hits[0]
    assert headers["X-Hub-Signature-256"] == fb.sign(raw)
    entries = json.loads(raw)["entry"]
    echo = entries[0]["messaging"][0]["message"]
    assert echo == {
        "is_echo": True,
        "app_id": int(fb.app_id),
        "mid": answer["message_id"],
        "text": "Chào",
        "metadata": "t1",
    }
    assert entries[1]["messaging"][0]["delivery"]["mids"] == [answer["message_id"]]


def utility_body(name: str = "points_vi", params: list[Json] | None = None, **t: Any) -> Json:
    template: Json = {"name": name, "language": {"code": "vi"}, **t}
    template["components"] = [{"type": "body", "parameters": params or []}]
    return {
        "recipient": {"id": "u1"},
        "messaging_type": "UTILITY",
        "message": {"template": template},
    }


async def test_utility_template_goes_after_24h_and_text_does_not(
    fb: FakeGraph, http: ClientSession
) -> None:
    fb.add_utility_template("points_vi", params=1)
    fb.users["u1"].last_inbound = fb.clock() - 48 * HOUR
    status, body = await call(http, fb, "POST", "me/messages", json=text_body())
    assert_error(status, body, 10, 2018278)
    status, body = await call(
        http, fb, "POST", "me/messages", json=utility_body(params=[{"type": "text", "text": "5"}])
    )
    assert status == 200 and body["message_id"], body
    assert fb.sent[-1].template is not None and fb.sent[-1].template["name"] == "points_vi"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (utility_body("nope"), "does not exist or is not approved"),
        (utility_body(params=[]), "Number of parameters (0)"),
        (
            utility_body(params=[{"type": "text", "text": "x"}], language={"code": "en"}),
            "language 'en'",
        ),
        (
            {**text_body(), "messaging_type": "UTILITY"},
            "needs message.template",
        ),
        (
            {
                **utility_body(params=[{"type": "text", "text": "x"}]),
                "messaging_type": "UPDATE",
            },
            "only allowed with messaging_type UTILITY",
        ),
    ],
)
async def test_utility_template_errors(
    fb: FakeGraph, http: ClientSession, body: Json, fragment: str
) -> None:
    fb.add_utility_template("points_vi", params=1)
    status, answer = await call(http, fb, "POST", "me/messages", json=body)
    err = assert_error(status, answer, 100)
    assert fragment in err["message"], err


async def test_utility_template_needs_the_permission(fb: FakeGraph, http: ClientSession) -> None:
    fb.add_utility_template("points_vi", params=("points",))
    fb.utility_permission = False
    params = [{"type": "text", "parameter_name": "points", "text": "5"}]
    status, body = await call(http, fb, "POST", "me/messages", json=utility_body(params=params))
    assert_error(status, body, 10)
    fb.utility_permission = True
    status, body = await call(http, fb, "POST", "me/messages", json=utility_body(params=params))
    assert status == 200, body
