"""Sign-in with a Zalo Mini App token, and every way a session token can be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from loyalty import members
from miniapp_api.auth import session_key
from tests.fakes.zalo_api import appsecret_proof
from tests.miniapp_api.conftest import Api, problem


async def test_sign_in_creates_the_member_once(api: Api) -> None:
    zalo_token = api.zalo.miniapp_login("5001", "Nguyễn Văn An")
    resp = await api.client.post("/api/v1/session", json={"access_token": zalo_token})
    assert resp.status == 201
    body = await resp.json()
    assert set(body) >= {"token", "expires_in", "member"}
    assert body["expires_in"] == api.settings.SESSION_TTL_SECONDS
    assert body["member"]["name"] == "Nguyễn Văn An"
    assert body["member"]["points"] == 0
    assert body["member"]["tier"] == {"name": "Member", "min_points": 0}

    # The backend sent the token with its appsecret_proof, as headers (§6).
    me = [r for r in api.zalo.requests if r.path == "/v2.0/me"][-1]
    assert me.headers["access_token"] == zalo_token
    assert me.headers["appsecret_proof"] == appsecret_proof(api.zalo.app_secret, zalo_token)

    again = await api.client.post(
        "/api/v1/session", json={"access_token": api.zalo.miniapp_login("5001", "An")}
    )
    assert (await again.json())["member"]["member_code"] == body["member"]["member_code"]
    other, _ = await api.login("5002", "Bình")
    assert (await api.card(other))["member_code"] != body["member"]["member_code"]


async def test_a_token_zalo_refuses_is_401(api: Api) -> None:
    resp = await api.client.post("/api/v1/session", json={"access_token": "not-a-zalo-token"})
    await problem(resp, 401, "invalid_zalo_token")


async def test_a_wrong_app_secret_is_refused_by_graph(start_api: Any) -> None:
    api = await start_api(ZALO_APP_SECRET="some-other-secret")
    token = api.zalo.miniapp_login("77", "X")
    resp = await api.client.post("/api/v1/session", json={"access_token": token})
    await problem(resp, 401, "invalid_zalo_token")


async def test_graph_unreachable_is_503(start_api: Any) -> None:
    api = await start_api(ZALO_GRAPH_URL="http://127.0.0.1:9")
    resp = await api.client.post("/api/v1/session", json={"access_token": "abc"})
    await problem(resp, 503, "zalo_unavailable")


async def test_graph_failing_is_503(api: Api) -> None:
    api.zalo.http_status_next(502, path="/v2.0/me")
    token = api.zalo.miniapp_login("78", "X")
    resp = await api.client.post("/api/v1/session", json={"access_token": token})
    await problem(resp, 503, "zalo_unavailable")


async def test_bad_bodies_list_the_fields(api: Api) -> None:
    resp = await api.client.post("/api/v1/session", json={"token": "x"})
    body = await problem(resp, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["access_token"]
    resp = await api.client.post(
        "/api/v1/session", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    await problem(resp, 400, "invalid_json")
    resp = await api.client.post("/api/v1/session", json=["access_token"])
    await problem(resp, 400, "invalid_json")


def _forge(api: Api, key: bytes, **claims: Any) -> str:
    now = datetime.now(UTC)
    base = {
        "sub": "1",
        "aud": "miniapp",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "jti": "j",
    }
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, key, algorithm="HS256")


async def test_forged_and_expired_sessions_are_refused(api: Api) -> None:
    token, _ = await api.login()
    member_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    key = session_key(api.settings)
    assert (await api.me("GET", "/api/v1/me/card", token)).status == 200

    cases = {
        "invalid_session": [
            "garbage",
            _forge(api, b"x" * 32, sub=member_id),  # signed with another key
            _forge(api, key, sub=member_id, aud="member-qr"),  # a token of another kind
            _forge(api, key, sub=member_id, jti=None),  # required claim missing
            _forge(api, key, sub="999999"),  # no such member
            token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),  # tampered
        ],
        "session_expired": [
            _forge(api, key, sub=member_id, exp=int(datetime.now(UTC).timestamp()) - 5)
        ],
    }
    resp = await api.client.get("/api/v1/me/card")
    await problem(resp, 401, "missing_session")
    resp = await api.client.get("/api/v1/me/card", headers={"Authorization": f"Token {token}"})
    await problem(resp, 401, "missing_session")
    for code in ("invalid_session", "session_expired"):
        for bad in cases[code]:
            resp = await api.me("GET", "/api/v1/me/card", bad)
            body = await problem(resp, 401, code)
            assert "Bearer" in resp.headers["WWW-Authenticate"], body

    # A well-formed token of ours with the right key still works: the checks above are real.
    good = _forge(api, key, sub=member_id)
    assert (await api.me("GET", "/api/v1/me/card", good)).status == 200


async def test_the_oa_chat_member_is_the_mini_app_member(api: Api) -> None:
    """The OA knows the person by `user_id_by_app`, the id the Mini App signs in with."""
    chat = await members.get_or_create_by_identity("zalo_app", "6006", name="Chat")
    await api.order("CHAT-1", 3_000_000, member_code=chat.member_code)
    token, _ = await api.login("6006", "Mini")
    card = await api.card(token)
    assert card["member_code"] == chat.member_code
    assert card["points"] == 300


async def test_a_mini_app_member_is_found_by_the_oa_chat_later(api: Api) -> None:
    token, _ = await api.login("6007", "Mini")
    code = (await api.card(token))["member_code"]
    found = await members.get_by_identity("zalo_app", "6007")
    assert found is not None and found.member_code == code
