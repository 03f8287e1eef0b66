"""The public campaign page over real HTTP: no sign-in, rules and prizes, the masked winner
list (never a whole name or phone), pagination, the live counts, and no inline script."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.content.loader import load_content
from bot.promotions_page import setup_promotions_page
from bot.settings import Settings
from loyalty import plays
from loyalty.models import Member
from loyalty.promotions import chain
from tests.loyalty.conftest import new_member

PEOPLE = [
    ("Nguyễn Thành Long", "84912345678"),
    ("Trần Thị Hoa", "84987654321"),
    ("Lê Ân", "84901112223"),
]


def _edit(content_path: Path) -> None:
    """The wheel: an area for the rules, the 50K voucher always won, 30 plays a day."""
    data = yaml.safe_load(content_path.read_text(encoding="utf-8"))
    wheel = next(g for g in data["games"] if g["id"] == "lucky-wheel")
    wheel["area"] = "TP. Hồ Chí Minh"
    wheel["plays_per_day"] = 30
    for prize in wheel["prizes"]:
        prize["weight"] = 1 if prize["id"] == "v50k" else 0
    content_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
async def client(
    aiohttp_client: Any, make_settings: Callable[..., Settings], content_path: Path, clean_db: str
) -> TestClient:
    _edit(content_path)
    app = build_app(make_settings())
    setup_promotions_page(app)
    return await aiohttp_client(app)


async def winners(content_path: Path, people: list[tuple[str, str]], each: int = 1) -> None:
    game = load_content(content_path).game("lucky-wheel")
    assert game is not None
    for i, (name, phone) in enumerate(people):
        member = await new_member(f"page-{i}")
        await Member.filter(id=member.id).update(name=name, phone=phone)
        for k in range(each):
            await plays.play(member, game, idempotency_key=f"k{k}", rng=random.Random(i))


def _texts(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


async def test_the_page_shows_rules_prizes_and_masked_winners(
    client: TestClient, content_path: Path
) -> None:
    await winners(content_path, PEOPLE)
    resp = await client.get("/promotions/lucky-wheel")
    assert resp.status == 200 and resp.content_type == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    html = await resp.text()
    assert "Vòng quay may mắn" in html and "TP. Hồ Chí Minh" in html
    assert "CSPRNG" in html and "còn lại tại thời điểm" in html
    assert "50.000đ" in html  # the prize's value
    assert re.search(r'data-remaining="v50k">47<', html)  # 50 announced, 3 won
    for masked in ("Ng*** Th*** Lo***", "Tr*** Th*** Ho***", "L*** Â***", "09*****678"):
        assert masked in html
    load = load_content(content_path).game("lucky-wheel")
    assert load is not None and load.version() in html
    head = await chain.chain_head("lucky-wheel")
    assert head[0] == 3 and head[1] in html  # sealed before it was read

    # No inline script or style: every <script> has a src, no style attribute, no on*=.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert all(not body.strip() for body in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)


async def test_the_page_never_shows_a_whole_name_or_phone(
    client: TestClient, content_path: Path
) -> None:
    await winners(content_path, PEOPLE)
    html = await (await client.get("/promotions/lucky-wheel")).text()
    text = _texts(html)
    for name, phone in PEOPLE:
        national = "0" + phone[2:]
        for shown in (phone, national, phone[2:], national[:-3], national[2:]):
            assert shown not in html
        for word in name.split():
            assert not re.search(rf"(?<!\w){re.escape(word)}(?!\*)", text), word
    live = await (await client.get("/promotions/lucky-wheel/live.json")).json()
    assert live == {"game_id": "lucky-wheel", "remaining": {"v50k": 47, "v20k": 200,
                    "pct10": 300, "topping": 500}, "winners": 3}  # fmt: skip


async def test_the_winner_list_is_paginated(client: TestClient, content_path: Path) -> None:
    await winners(content_path, PEOPLE[:1], each=25)
    first = await (await client.get("/promotions/lucky-wheel")).text()
    assert first.count("Ng*** Th*** Lo***") == 20
    assert "Trang 1 / 2" in first and 'href="/promotions/lucky-wheel?page=2"' in first
    second = await (await client.get("/promotions/lucky-wheel?page=2")).text()
    assert second.count("Ng*** Th*** Lo***") == 5 and "Trang 2 / 2" in second
    assert (await client.get("/promotions/lucky-wheel?page=x")).status == 400


async def test_unknown_campaigns_and_static_files(client: TestClient) -> None:
    resp = await client.get("/promotions/nope")
    assert resp.status == 404 and "Không tìm thấy" in await resp.text()
    assert (await client.get("/promotions/nope/live.json")).status == 404
    js = await client.get("/promotions/static/promotions.js")
    assert js.status == 200 and js.content_type == "text/javascript"
    css = await client.get("/promotions/static/promotions.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert (await client.get("/promotions/static/..%2Fpage.py")).status == 404
    assert (await client.get("/promotions/static/page.py")).status == 404
