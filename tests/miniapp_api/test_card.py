"""The membership card: exactly the contract's fields, and a QR token that really expires."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from PIL import Image

from loyalty.qr import make_qr_token
from tests.miniapp_api.conftest import Api, problem

CARD_FIELDS = {
    "member_code",
    "name",
    "phone",
    "points",
    "tier",
    "next_tier",
    "points_to_next",
    "qr",
    "vouchers_available",
}


async def test_a_new_members_card(api: Api) -> None:
    token, _ = await api.login("9001", "Trần Thị Mai")
    before = datetime.now(UTC).replace(microsecond=0)
    card = await api.card(token)
    assert set(card) == CARD_FIELDS
    assert card["name"] == "Trần Thị Mai"
    assert card["phone"] is None
    assert card["points"] == 0
    assert card["tier"] == {"name": "Member", "min_points": 0}
    assert card["next_tier"] == {"name": "Silver", "min_points": 500}
    assert card["points_to_next"] == 500
    assert card["vouchers_available"] == 0
    assert set(card["qr"]) == {"token", "image_url", "expires_at"}
    expires = datetime.fromisoformat(card["qr"]["expires_at"])
    ttl = api.settings.QR_TTL_SECONDS
    assert before + timedelta(seconds=ttl - 2) <= expires <= before + timedelta(seconds=ttl + 2)

    url = card["qr"]["image_url"]
    assert url.startswith(api.settings.PUBLIC_BASE_URL + "/")
    parts = urlsplit(url)
    resp = await api.client.get(f"{parts.path}?{parts.query}")
    assert resp.status == 200
    assert resp.content_type == "image/png"
    image = Image.open(io.BytesIO(await resp.read()))
    assert image.size[0] == image.size[1] >= 200


async def test_staff_find_the_member_by_the_scanned_qr(api: Api) -> None:
    token, _ = await api.login()
    card = await api.card(token)
    resp = await api.admin("GET", f"/api/v1/admin/members/{card['qr']['token']}")
    assert resp.status == 200
    assert (await resp.json())["member_code"] == card["member_code"]


async def test_an_expired_qr_token_is_refused(api: Api) -> None:
    token, _ = await api.login()
    code = (await api.card(token))["member_code"]
    secret = api.settings.session_secret()
    old, _ = make_qr_token(code, secret, ttl=60, now=datetime.now(UTC) - timedelta(seconds=61))
    resp = await api.admin("GET", f"/api/v1/admin/members/{old}")
    await problem(resp, 410, "qr_token_expired")
    resp = await api.client.get("/api/v1/me/qr.png", params={"token": old})
    await problem(resp, 410, "qr_token_expired")

    fresh, _ = make_qr_token(code, secret, ttl=60)
    assert (await api.admin("GET", f"/api/v1/admin/members/{fresh}")).status == 200
    forged, _ = make_qr_token(code, "another-secret", ttl=60)
    resp = await api.admin("GET", f"/api/v1/admin/members/{forged}")
    await problem(resp, 422, "qr_token_invalid")
    resp = await api.client.get("/api/v1/me/qr.png", params={"token": forged})
    await problem(resp, 404, "qr_token_invalid")


async def test_the_card_follows_orders(api: Api) -> None:
    token, _ = await api.login()
    code = (await api.card(token))["member_code"]
    assert (await api.order("POS-1", 12_000_000, member_code=code)).status == 201
    card = await api.card(token)
    assert card["points"] == 1200
    assert card["tier"] == {"name": "Gold", "min_points": 1000}
    assert card["next_tier"] == {"name": "Platinum", "min_points": 2000}
    assert card["points_to_next"] == 800
    assert card["vouchers_available"] == 2  # Silver and Gold rewards
    await api.order("POS-2", 9_000_000, member_code=code)
    card = await api.card(token)
    assert card["tier"]["name"] == "Platinum"
    assert card["next_tier"] is None
    assert card["points_to_next"] is None
