"""`python -m bot messenger sync-profile` against the fake Graph."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bot.channels.messenger.profile_sync import run_sync_profile
from bot.settings import Settings
from tests.fakes.graph_api import FakeGraph

ROOT = Path(__file__).resolve().parents[4]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def greeting_line(path: Path) -> str:
    return next(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("  messenger_greeting:")
    )


async def sync(settings: Settings) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_sync_profile(settings, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_first_sync_sets_everything_then_nothing_changes(
    fb: FakeGraph, fb_settings: Callable[..., Settings]
) -> None:
    settings = fb_settings()
    code, out, err = await sync(settings)
    assert code == 0, err
    assert "changed get_started: (not set)" in out
    assert "changed greeting: (not set) → default: 'Chào {{user_first_name}}!" in out
    assert "changed persistent_menu: (not set) → Vòng quay may mắn | Cào thẻ trúng quà" in out
    profile = fb.profiles[fb.page_id]
    assert profile["get_started"] == {"payload": "GET_STARTED"}
    assert profile["greeting"][0]["locale"] == "default"
    assert "{{user_first_name}}" in profile["greeting"][0]["text"]
    items = profile["persistent_menu"][0]["call_to_actions"]
    assert items[0] == {
        "type": "postback",
        "title": "Vòng quay may mắn",
        "payload": "game:lucky-wheel",
    }
    assert {i["payload"] for i in items} >= {"card", "vouchers", "phone", "text:opening-hours"}
    posts = [r for r in fb.requests if r.method == "POST"]
    assert len(posts) == 1

    code, out, _ = await sync(settings)
    assert code == 0
    assert "Messenger profile already up to date" in out
    assert "unchanged greeting" in out
    assert len([r for r in fb.requests if r.method == "POST"]) == 1


async def test_only_the_changed_field_is_sent_and_url_items_are_links(
    fb: FakeGraph, fb_settings: Callable[..., Settings], content_path: Path
) -> None:
    settings = fb_settings()
    assert (await sync(settings))[0] == 0
    edit(
        content_path,
        '  - {title: "Giờ mở cửa", action: "text:opening-hours"}',
        '  - {title: "Giờ mở cửa", action: "text:opening-hours"}\n'
        '  - {title: "Đặt bàn", action: "url:https://example.com/dat-ban"}\n'
        '  - {title: "Gọi quán", action: "call:0901234567"}',
    )
    fb.reset_records()
    code, out, _ = await sync(settings)
    assert code == 0
    assert "unchanged greeting" in out and "changed persistent_menu" in out
    assert "note: menu item 'Gọi quán' skipped" in out
    (post,) = [r for r in fb.requests if r.method == "POST"]
    assert set(post.params) == {"persistent_menu"}
    items = fb.profiles[fb.page_id]["persistent_menu"][0]["call_to_actions"]
    assert items[-1] == {
        "type": "web_url",
        "title": "Đặt bàn",
        "url": "https://example.com/dat-ban",
    }


async def test_greeting_over_160_characters_fails_before_any_call(
    fb: FakeGraph, fb_settings: Callable[..., Settings], content_path: Path
) -> None:
    long = "Chào {{user_first_name}}! " + "Cà phê ngon mỗi ngày. " * 8
    edit(content_path, greeting_line(content_path), f'  messenger_greeting: "{long}"')
    code, _, err = await sync(fb_settings())
    assert code == 1
    assert "messenger_greeting" in err
    assert fb.requests == []


async def test_graph_refusal_is_a_non_zero_exit_with_the_error(
    fb: FakeGraph, fb_settings: Callable[..., Settings]
) -> None:
    fb.fail_next(
        200, path_contains="messenger_profile", times=2, message="(#200) Permissions error"
    )
    code, _, err = await sync(fb_settings())
    assert code == 1
    assert "Graph refused" in err and "200" in err and "Permissions error" in err


async def test_without_a_token(fb_settings: Callable[..., Settings]) -> None:
    code, _, err = await sync(fb_settings(FB_PAGE_ACCESS_TOKEN=""))
    assert code == 2 and "FB_PAGE_ACCESS_TOKEN" in err


async def test_the_cli_command_end_to_end(
    fb: FakeGraph, content_path: Path, tmp_path: Path
) -> None:
    """`python -m bot messenger sync-profile` in a real process, configured by environment."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "CONTENT_PATH": str(content_path),
        "DATA_DIR": str(tmp_path / "data"),
        "FB_APP_SECRET": fb.app_secret,
        "FB_PAGE_ID": fb.page_id,
        "FB_PAGE_ACCESS_TOKEN": fb.page_token,
        "FB_GRAPH_URL": fb.base_url,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "messenger",
        "sync-profile",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "changed get_started" in out.decode()
    assert fb.profiles[fb.page_id]["get_started"] == {"payload": "GET_STARTED"}
    fb.revoke_token(fb.page_token)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "messenger",
        "sync-profile",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert "190" in err.decode()
