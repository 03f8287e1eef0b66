"""Games over the API: list, detail, plays (idempotent, limited per day), quiz, history."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.miniapp_api.conftest import Api, edit_content, game_of, problem


def _always(prize_id: str, plays_per_day: int = 2) -> Any:
    """Make the wheel land on `prize_id` every time, `plays_per_day` times a day."""

    def edit(data: dict[str, Any]) -> None:
        wheel = game_of(data, "lucky-wheel")
        wheel["plays_per_day"] = plays_per_day
        for prize in wheel["prizes"]:
            prize["weight"] = 1 if prize["id"] == prize_id else 0

    return edit


async def _fetch(api: Api, url: str) -> tuple[int, str, bytes]:
    assert url.startswith(api.settings.PUBLIC_BASE_URL + "/"), url
    resp = await api.client.get(urlsplit(url).path)
    return resp.status, resp.content_type, await resp.read()


async def test_list_and_detail(api: Api) -> None:
    token, _ = await api.login()
    resp = await api.me("GET", "/api/v1/games", token)
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert [g["id"] for g in items] == ["lucky-wheel", "scratch-card", "quiz"]
    assert {g["plays_left"] for g in items} == {1}

    wheel = await (await api.me("GET", "/api/v1/games/lucky-wheel", token)).json()
    assert wheel["type"] == "wheel" and wheel["title"] == "Vòng quay may mắn"
    assert wheel["active"] is True and wheel["plays_left"] == 1 and wheel["next_play_at"] is None
    assert [s["index"] for s in wheel["slices"]] == [0, 1, 2, 3, 4]
    assert wheel["slices"][0] == {
        "index": 0,
        "prize_id": "v50k",
        "label": "Voucher 50K",
        "color": "#C0392B",
    }
    assert wheel["card"] is None
    chances = {p["id"]: p["chance"] for p in wheel["rules"]["prizes"]}
    assert chances["v50k"] == pytest.approx(0.05) and chances["none"] == pytest.approx(0.45)
    status, kind, png = await _fetch(api, wheel["image_url"])
    assert (status, kind, png[:4]) == (200, "image/png", b"\x89PNG")

    scratch = await (await api.me("GET", "/api/v1/games/scratch-card", token)).json()
    assert scratch["slices"] is None and scratch["card"]["reveal_fraction"] == 0.5
    status, kind, _ = await _fetch(api, scratch["card"]["cover_url"])
    assert (status, kind) == (200, "image/png")
    quiz = await (await api.me("GET", "/api/v1/games/quiz", token)).json()
    assert quiz["rules"]["quiz"]["seconds_per_question"] == 20
    assert quiz["image_url"] is None


async def test_a_play_is_idempotent_and_limited(start_api: Any, content_path: Path) -> None:
    edit_content(content_path, _always("v20k"))
    api = await start_api()
    token, _ = await api.login()
    path = "/api/v1/games/lucky-wheel/plays"
    resp = await api.me("POST", path, token, headers={"Idempotency-Key": "spin-1"})
    assert resp.status == 201, await resp.text()
    first = await resp.json()
    assert set(first) >= {"play_id", "outcome", "prize", "voucher", "image_url"}
    assert first["outcome"] == "win"
    assert first["prize"] == {"id": "v20k", "label": "Voucher 20K", "slice_index": 1}
    assert first["slice_index"] == 1
    assert first["voucher"]["value"] == 20_000 and first["voucher"]["status"] == "available"
    assert first["replayed"] is False
    status, kind, gif = await _fetch(api, first["image_url"])
    assert (status, kind, gif[:6]) == (200, "image/gif", b"GIF89a")

    replay = await api.me("POST", path, token, headers={"Idempotency-Key": "spin-1"})
    assert replay.status == 200
    again = await replay.json()
    assert again["play_id"] == first["play_id"] and again["replayed"] is True
    assert again["voucher"]["code"] == first["voucher"]["code"]

    files = sorted(api.settings.media_dir.iterdir())
    second = await (await api.me("POST", path, token)).json()
    assert second["play_id"] != first["play_id"]
    assert second["image_url"] == first["image_url"]  # same version + slice: the cached render
    assert sorted(api.settings.media_dir.iterdir()) == files  # nothing new was drawn

    resp = await api.me("POST", path, token, headers={"Idempotency-Key": "spin-3"})
    body = await problem(resp, 429, "no_plays_left")
    next_at = datetime.fromisoformat(body["next_play_at"])
    assert next_at > datetime.now(UTC)
    assert int(resp.headers["Retry-After"]) >= 1
    detail = await (await api.me("GET", "/api/v1/games/lucky-wheel", token)).json()
    assert detail["plays_left"] == 0
    assert datetime.fromisoformat(detail["next_play_at"]) == next_at

    history = await (await api.me("GET", path, token)).json()
    assert [p["play_id"] for p in history["items"]] == [second["play_id"], first["play_id"]]
    one = await api.me("GET", f"{path}/{first['play_id']}", token)
    assert (await one.json())["voucher"]["code"] == first["voucher"]["code"]
    vouchers = await (await api.me("GET", "/api/v1/me/vouchers", token)).json()
    assert len(vouchers["available"]) == 2


async def test_another_members_play_is_not_found(api: Api) -> None:
    mine, _ = await api.login("1")
    theirs, _ = await api.login("2")
    play = await (await api.me("POST", "/api/v1/games/scratch-card/plays", mine)).json()
    resp = await api.me("GET", f"/api/v1/games/scratch-card/plays/{play['play_id']}", theirs)
    await problem(resp, 404, "play_not_found")
    assert play["image_url"] and play["cover_url"]
    status, kind, _ = await _fetch(api, play["image_url"])
    assert (status, kind) == (200, "image/png")


async def test_unknown_and_inactive_games(start_api: Any, content_path: Path) -> None:
    def end_scratch(data: dict[str, Any]) -> None:
        game_of(data, "scratch-card")["end"] = "2020-01-01T00:00:00"

    edit_content(content_path, end_scratch)
    api = await start_api()
    token, _ = await api.login()
    await problem(await api.me("GET", "/api/v1/games/nope", token), 404, "game_not_found")
    await problem(await api.me("POST", "/api/v1/games/nope/plays", token), 404, "game_not_found")
    await problem(await api.me("GET", "/api/v1/games/NOT%20A%20SLUG", token), 404, "not_found")
    items = (await (await api.me("GET", "/api/v1/games", token)).json())["items"]
    assert "scratch-card" not in [g["id"] for g in items]
    detail = await (await api.me("GET", "/api/v1/games/scratch-card", token)).json()
    assert detail["active"] is False
    resp = await api.me("POST", "/api/v1/games/scratch-card/plays", token)
    await problem(resp, 409, "game_not_active")


def _correct(content_path: Path, question: str) -> int:
    data = yaml.safe_load(content_path.read_text(encoding="utf-8"))
    bank = game_of(data, "quiz")["quiz"]["questions"]
    return next(q["correct"] for q in bank if q["question"] == question)


async def test_quiz_question_by_question(api: Api, content_path: Path) -> None:
    token, _ = await api.login()
    resp = await api.me("POST", "/api/v1/games/quiz/plays", token)
    assert resp.status == 201
    state = await resp.json()
    assert "correct" not in json.dumps(state)  # the answer never leaves the server early
    assert state["status"] == "in_progress" and state["outcome"] is None
    play_id = state["play_id"]
    answers = f"/api/v1/games/quiz/plays/{play_id}/answers"

    resp = await api.me("POST", answers, token, json={"question_index": 1, "option": 0})
    await problem(resp, 409, "quiz_out_of_order")

    for position in range(3):
        question = state["quiz"]["question"]
        assert question["index"] == position and question["seconds"] == 20
        assert len(question["options"]) == 4
        option = _correct(content_path, question["question"])
        resp = await api.me(
            "POST", answers, token, json={"question_index": position, "option": option}
        )
        assert resp.status == 200, await resp.text()
        state = await resp.json()
        assert state["quiz"]["answered"] == [True] * (position + 1)

    assert state["status"] == "done" and state["outcome"] == "win"
    assert state["quiz"]["score"] == 3 and state["quiz"]["question"] is None
    assert state["prize"]["id"] == "v30k" and state["voucher"]["value"] == 30_000

    resp = await api.me("POST", answers, token, json={"question_index": 3, "option": 0})
    await problem(resp, 409, "quiz_finished")
    resp = await api.me("POST", answers, token, json={"question_index": 0, "option": 1})
    assert (await resp.json())["voucher"]["code"] == state["voucher"]["code"]  # a retry
    resp = await api.me("POST", answers, token, json={"question_index": "x"})
    await problem(resp, 422, "validation_error")
    await problem(await api.me("POST", "/api/v1/games/quiz/plays", token), 429, "no_plays_left")
    resp = await api.me(
        "POST",
        "/api/v1/games/lucky-wheel/plays/1/answers",
        token,
        json={"question_index": 0, "option": 0},
    )
    await problem(resp, 404, "play_not_found")


async def test_concurrent_retries_of_one_play_give_one_play(
    start_api: Any, content_path: Path
) -> None:
    edit_content(content_path, _always("v50k", plays_per_day=5))
    api = await start_api()
    token, _ = await api.login()
    path = "/api/v1/games/lucky-wheel/plays"
    responses = await asyncio.gather(
        *(api.me("POST", path, token, headers={"Idempotency-Key": "tap"}) for _ in range(10))
    )
    assert sorted(r.status for r in responses) == [200] * 9 + [201]
    bodies = [await r.json() for r in responses]
    assert len({b["play_id"] for b in bodies}) == 1
    assert len({b["voucher"]["code"] for b in bodies}) == 1
    detail = await (await api.me("GET", "/api/v1/games/lucky-wheel", token)).json()
    assert detail["plays_left"] == 4
