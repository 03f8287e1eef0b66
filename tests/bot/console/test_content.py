"""The content editor over real HTTP: the same validation as `config check` (problems at
their line), an atomic save that a concurrent reload never sees half of, refusal to
overwrite an edit made on disk meanwhile, version history, diff and rollback."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
from pathlib import Path

from bot.appkeys import CONTENT
from bot.console import content_editor
from bot.content.check import run_check
from bot.content.loader import parse_content
from bot.models import ContentVersion
from loyalty.models import AuditEntry
from tests.bot.console.conftest import Console

GOOD = "  vnd_per_point: 10000     # 1 point per 10.000đ spent"
BAD = '  vnd_per_point: "mười nghìn"'
FIXED = "  vnd_per_point: 5000"


SOURCE = Path(__file__).resolve().parents[3] / "config" / "content.yaml"


def _read(path: Path) -> str:
    return path.read_text()


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _leftovers(folder: Path) -> list[Path]:
    return list(folder.glob(".content.yaml.*.tmp"))


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def _base(html: str) -> str:
    found = re.search(r'name="base" value="([0-9a-f]{64})"', html)
    assert found
    return found.group(1)


async def test_an_error_is_refused_at_its_line_then_fixed_saved_and_rolled_back(
    console: Console, capsys: object
) -> None:
    await console.as_role("manager")
    path: Path = console.client.app[CONTENT].path
    original = _read(path)
    page = await (await console.get("/admin/content")).text()
    base = _base(page)
    assert base == content_editor.sha256_of(original)
    broken = original.replace(GOOD, BAD)
    line = _line_of(broken, "vnd_per_point")
    # The same problems `config check` prints for that text.
    probe = path.with_name("probe.yaml")
    _write(probe, broken)
    assert run_check(probe, probe) == 1
    refused = await console.post(
        "/admin/content", {"text": broken, "base": base, "action": "save"}
    )
    html = await refused.text()
    assert refused.status == 422
    assert f'data-line="{line}">Dòng {line}</a> <code>loyalty.vnd_per_point</code>' in html
    assert "mười nghìn" in html  # the user's text is kept in the editor
    assert _read(path) == original  # nothing written
    check = await console.post("/admin/content", {"text": broken, "base": base, "action": "check"})
    assert check.status == 422 and f"Dòng {line}" in await check.text()
    fixed = broken.replace(BAD, FIXED)
    ok = await console.post("/admin/content", {"text": fixed, "base": base, "action": "check"})
    assert ok.status == 200 and "Hợp lệ" in await ok.text()
    saved = await console.post("/admin/content", {"text": fixed, "base": base, "action": "save"})
    assert saved.status == 303 and saved.headers["Location"] == "/admin/content?saved=1"
    assert _read(path) == fixed
    assert console.client.app[CONTENT].current.loyalty.vnd_per_point == 5000  # live at once
    versions = await ContentVersion.all().order_by("id")
    assert [v.note for v in versions] == ["disk", "save"]
    assert versions[0].text == original and versions[1].saved_by == "quanly@shop.vn"
    entry = await AuditEntry.get(action="POST /admin/content (save)")
    assert entry.actor_role == "manager" and entry.source == "console"
    assert entry.detail and entry.detail["before"] == base[:12]
    # Diff against the first version, then one click back to it.
    diff = await (await console.get(f"/admin/content/versions/{versions[0].id}")).text()
    assert '<span class="del">-  vnd_per_point: 5000</span>' in diff
    assert "+  vnd_per_point: 10000" in diff
    back = await console.post(
        f"/admin/content/versions/{versions[0].id}/rollback", {"base": _base(diff)}
    )
    assert back.status == 303
    assert _read(path) == original
    assert console.client.app[CONTENT].current.loyalty.vnd_per_point == 10000
    assert (
        await ContentVersion.all().order_by("-id").first()
    ).note == f"rollback to {versions[0].id}"  # type: ignore[union-attr]
    current = await (await console.get(f"/admin/content/versions/{versions[0].id}")).text()
    assert "Đây là nội dung đang dùng." in current


async def test_an_edit_made_on_disk_meanwhile_is_not_overwritten(console: Console) -> None:
    await console.as_role("owner")
    path: Path = console.client.app[CONTENT].path
    original = _read(path)
    base = _base(await (await console.get("/admin/content")).text())
    on_disk = original.replace(GOOD, "  vnd_per_point: 20000")
    _write(path, on_disk)  # someone edits over SSH
    mine = original.replace(GOOD, FIXED)
    resp = await console.post("/admin/content", {"text": mine, "base": base, "action": "save"})
    assert resp.status == 409
    html = await resp.text()
    assert "vừa được sửa ở nơi khác" in html and "vnd_per_point: 5000" in html
    assert _read(path) == on_disk
    # A rollback with the old base is refused the same way.
    version = await ContentVersion.create(sha256="x", text=original, saved_at=_now())
    back = await console.post(f"/admin/content/versions/{version.id}/rollback", {"base": base})
    assert back.status == 409 and _read(path) == on_disk


def _now():  # type: ignore[no-untyped-def]
    from loyalty.clock import utcnow

    return utcnow()


async def test_a_content_form_without_csrf_is_refused(console: Console) -> None:
    await console.as_role("owner")
    path: Path = console.client.app[CONTENT].path
    original = _read(path)
    base = content_editor.sha256_of(original)
    resp = await console.post(
        "/admin/content",
        {"text": original + "\n# x\n", "base": base, "action": "save"},
        csrf=False,
    )
    assert resp.status == 403
    assert _read(path) == original


async def test_the_atomic_save_is_never_seen_half_written(tmp_path: Path, db: str) -> None:
    """A reader thread parses the file as fast as it can (what the hot reload does) while
    saves replace it: every read is one of the saved texts, whole, and parses."""
    source = SOURCE
    path = tmp_path / "content.yaml"
    (tmp_path / "assets").symlink_to(source.parent.parent / "assets")
    original = _read(source)
    texts = [original] + [
        original.replace(GOOD, f"  vnd_per_point: {1000 + i}") + "#" * (20_000 * (i % 3))
        for i in range(1, 12)
    ]
    _write(path, original)
    seen: list[str] = []
    broken: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            raw = path.read_bytes()
            text = raw.decode()
            if text not in texts:
                broken.append(text[-40:])
            seen.append(text)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for previous, text in itertools.pairwise(texts):
            await content_editor.save(
                path, text, base_hash=content_editor.sha256_of(previous), by="t"
            )
            await asyncio.sleep(0)
    finally:
        stop.set()
        thread.join()
    assert not broken, broken[:3]
    assert len(seen) > len(texts)
    assert _read(path) == texts[-1]
    parse_content(path.read_bytes(), path)
    assert not _leftovers(tmp_path)  # no temporary file left behind


async def test_two_saves_from_the_same_base_one_wins(tmp_path: Path, db: str) -> None:
    """Two editors opened the same file: the second save is refused, not silently lost."""
    path = tmp_path / "content.yaml"
    (tmp_path / "assets").symlink_to(SOURCE.parent.parent / "assets")
    original = _read(SOURCE)
    _write(path, original)
    base = content_editor.sha256_of(original)
    texts = [original.replace(GOOD, f"  vnd_per_point: {n}") for n in (3000, 4000)]
    results = await asyncio.gather(
        *(content_editor.save(path, t, base_hash=base, by=f"u{i}") for i, t in enumerate(texts)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, content_editor.Saved)]
    lost = [r for r in results if isinstance(r, content_editor.Conflict)]
    assert len(won) == 1 and len(lost) == 1
    assert _read(path) in texts and content_editor.sha256_of(_read(path)) == won[0].sha256
    assert await ContentVersion.filter(note="save").count() == 1
