"""`POST /sandbox/api/miniapp-session`: a real `/api/v1` session for the test user, the same
member the chat knows."""

from __future__ import annotations

from typing import Any

from loyalty.models import MemberIdentity
from tests.bot.sandbox.conftest import Sandbox, buttons_of, image_of


async def open_session(box: Sandbox, channel: str, user_id: str, name: str = "Lan") -> Any:
    resp = await box.client.post(
        "/sandbox/api/miniapp-session",
        json={"channel": channel, "user": {"id": user_id, "name": name}},
    )
    data = await resp.json()
    assert resp.status == 201, data
    assert data["token_type"] == "Bearer" and data["expires_in"] > 0
    return data


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_session_opens_the_real_card_and_games(sandbox: Sandbox) -> None:
    session = await open_session(sandbox, "zalo", "u-mini")
    card = await sandbox.client.get("/api/v1/me/card", headers=bearer(session["token"]))
    assert card.status == 200
    data = await card.json()
    assert data["member_code"] == session["member_code"]
    assert data["name"] == "Lan"
    assert data["qr"]["image_url"]
    mini = await MemberIdentity.get(kind="miniapp", value="sandbox-zalo-u-mini")
    chat = await MemberIdentity.get(kind="zalo_oa", value="u-mini")
    assert mini.member_id == chat.member_id  # type: ignore[attr-defined]

    games = await sandbox.client.get("/api/v1/games", headers=bearer(session["token"]))
    ids = [g["id"] for g in (await games.json())["items"]]
    assert "lucky-wheel" in ids and "scratch-card" in ids
    play = await sandbox.client.post(
        "/api/v1/games/scratch-card/plays",
        headers={**bearer(session["token"]), "Idempotency-Key": "sandbox-test-1"},
    )
    assert play.status == 201
    assert (await play.json())["image_url"]
    # Without the token the API refuses, as for any Mini App call.
    assert (await sandbox.client.get("/api/v1/me/card")).status == 401


async def test_mini_app_member_is_the_chat_member(sandbox: Sandbox) -> None:
    stream = await sandbox.stream("messenger", "p-mini")
    await sandbox.post("messenger", "p-mini", type="tap", payload="game:lucky-wheel", title="Quay")
    spin = await stream.until(
        lambda d: any(b.get("title") == "Quay ngay" for b in buttons_of(d)), what="spin button"
    )
    button = next(b for b in buttons_of(spin) if b.get("title") == "Quay ngay")
    await sandbox.post("messenger", "p-mini", type="tap", payload=button["payload"], title="Quay")
    await stream.until(lambda d: (image_of(d) or "").endswith(".gif"), what="the spin")

    session = await open_session(sandbox, "messenger", "p-mini")
    games = await sandbox.client.get("/api/v1/games", headers=bearer(session["token"]))
    wheel = next(g for g in (await games.json())["items"] if g["id"] == "lucky-wheel")
    assert wheel["plays_left"] == 0  # the chat's spin used today's play of the same member
    again = await open_session(sandbox, "messenger", "p-mini")
    assert again["member_code"] == session["member_code"]


async def test_bad_session_request_is_400(sandbox: Sandbox) -> None:
    for body in ({"channel": "zalo"}, {"channel": "sms", "user": {"id": "u1"}}, []):
        resp = await sandbox.client.post("/sandbox/api/miniapp-session", json=body)
        assert resp.status == 400
        assert (await resp.json())["error"] == "bad_request"
