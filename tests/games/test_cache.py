from __future__ import annotations

import asyncio
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from games.render import media
from games.render.cache import RenderCache, render_in_thread
from games.render.card import MemberCardData
from tests.games.conftest import make_game, quiz_game, six_slice_game


class Counting:
    """A render function that counts its calls (the cache's own counter is checked too)."""

    def __init__(self, data: bytes = b"\x89PNG fake") -> None:
        self.calls = 0
        self.data = data

    def __call__(self) -> bytes:
        self.calls += 1
        return self.data


def test_second_get_renders_nothing_and_returns_the_same_file(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "media")
    render = Counting()
    key = ("wheel", "lucky-wheel", make_game().version(), 3)
    first = cache.get_or_render(key, render, "png")
    second = cache.get_or_render(key, render, "png")
    assert first.rendered and not second.rendered
    assert first.name == second.name and first.path == second.path
    assert render.calls == 1 and cache.renders == 1
    assert first.path.read_bytes() == render.data
    assert first.url_path == f"/media/{first.name}"
    assert first.name.startswith("wheel-") and first.name.endswith(".png")


def test_a_new_process_finds_files_on_disk(tmp_path: Path) -> None:
    key = ("scratch-cover", "x", "v1")
    first = RenderCache(tmp_path).get_or_render(key, Counting(), "png")
    again = RenderCache(tmp_path)
    hit = again.get_or_render(key, Counting(), "png")
    assert hit.name == first.name and not hit.rendered and again.renders == 0


def test_a_new_game_version_gets_a_new_name(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    old = make_game()
    new = make_game(title="Vòng quay Tết")
    assert old.version() != new.version()
    a = cache.get_or_render(("wheel", old.id, old.version(), 0), Counting(), "png")
    b = cache.get_or_render(("wheel", new.id, new.version(), 0), Counting(), "png")
    assert a.name != b.name and cache.renders == 2
    assert cache.name_for(("wheel", old.id, old.version(), 0), "gif") != a.name


def test_writes_are_atomic_and_readable(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    f = cache.get_or_render(("k",), Counting(b"x" * 10_000), "png")
    assert [p.name for p in tmp_path.iterdir()] == [f.name]  # no temp files left over
    assert stat.S_IMODE(f.path.stat().st_mode) == 0o644


def test_a_failing_render_leaves_nothing(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)

    def boom() -> bytes:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        cache.get_or_render(("k",), boom, "png")
    assert list(tmp_path.iterdir()) == []
    assert cache.renders == 0
    assert cache.get_or_render(("k",), Counting(), "png").rendered


def test_keys_must_be_plain_data(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    with pytest.raises(TypeError):
        cache.name_for(("k", object()), "png")
    card = MemberCardData("S", "N", "T", "#000000", "1 điểm", "C", "Q")
    assert cache.name_for(("card", card), "png") == cache.name_for(("card", card), "png")


def test_prune_removes_old_files_and_they_render_again(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    f = cache.get_or_render(("old",), Counting(), "png")
    keep = cache.get_or_render(("new",), Counting(), "png")
    past = time.time() - 3600
    os.utime(f.path, (past, past))
    assert cache.prune(older_than_seconds=600) == 1
    assert not f.path.exists() and keep.path.exists()
    assert cache.get_or_render(("old",), Counting(), "png").rendered


async def test_concurrent_first_plays_render_once(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    render = Counting()

    def slow() -> bytes:
        time.sleep(0.05)
        return render()

    files = await asyncio.gather(*(cache.aget_or_render(("k", 1), slow, "png") for _ in range(6)))
    assert render.calls == 1 and cache.renders == 1
    assert len({f.name for f in files}) == 1
    assert sum(f.rendered for f in files) == 1


async def test_second_spin_renders_nothing(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path, url_prefix="/media/")
    game = six_slice_game()
    first = await media.wheel_spin(cache, game, 2, gif_size=200, still_size=200)
    assert cache.renders == 2 and first.gif.rendered and first.still.rendered
    second = await media.wheel_spin(cache, game, 2, gif_size=200, still_size=200)
    assert cache.renders == 2
    assert (second.gif.name, second.still.name) == (first.gif.name, first.still.name)
    assert not second.gif.rendered and not second.still.rendered
    assert first.gif.url_path.startswith("/media/wheel-spin-")
    with Image.open(first.gif.path) as gif:
        assert gif.format == "GIF" and gif.n_frames > 1
    other = await media.wheel_spin(cache, game, 3, gif_size=200, still_size=200)
    assert cache.renders == 4 and other.gif.name != first.gif.name


async def test_media_helpers_render_each_image_once(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    wheel = make_game()
    scratch = make_game(id="scratch-tet", type="scratch", title="Thẻ cào Tết")
    quiz = quiz_game()
    card = MemberCardData("Trà Sữa Mây", "Lan", "Gold", "#FFC107", "1.000 điểm", "MB1", "MB1")

    async def all_media() -> list[str]:
        files = [
            await media.wheel_face(cache, wheel, size=300),
            await media.scratch_cover(cache, scratch, hint="Cào để mở"),
            await media.scratch_reveal(cache, scratch, "v50k", voucher_line="Mã: ABCD"),
            await media.scratch_reveal(cache, scratch, "none"),
            await media.quiz_card(cache, quiz, 5, header="Câu 1/3"),
            await media.member_card(cache, card),
            await media.qr_code(cache, "MB1.123.sig", size=200),
        ]
        for f in files:
            with Image.open(f.path) as img:  # the member card is a photo-like JPEG
                assert img.format == ("JPEG" if f.name.startswith("card") else "PNG")
        return [f.name for f in files]

    names = await all_media()
    assert cache.renders == 7 and len(set(names)) == 7
    assert await all_media() == names
    assert cache.renders == 7
    with pytest.raises(ValueError):
        await media.quiz_card(cache, wheel, 0)


async def test_render_in_thread_runs_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    ran_in = await render_in_thread(threading.get_ident)
    assert ran_in != loop_thread
    assert await render_in_thread(lambda a, *, b: a + b, 2, b=3) == 5
