"""The content file, edited in the browser: the same validation as `config check`, an
atomic save that never overwrites an edit made on disk meanwhile, and a version history.

Saving writes a temporary file next to the content file, fsyncs it and renames it over the
old one (`os.replace`), so the hot reload (`bot.content.store`) reads the old file or the
new one, never half of one. The editor sends the SHA-256 of the text it started from; if
the file on disk no longer has that hash, the save is refused (`Conflict`) and nothing is
written.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.content.errors import ContentError, Problem
from bot.content.loader import parse_content
from bot.models import ContentVersion
from loyalty.clock import utcnow


class Conflict(Exception):
    """The file changed on disk since the editor loaded it."""

    def __init__(self, current_hash: str) -> None:
        super().__init__("the content file changed on disk")
        self.current_hash = current_hash


@dataclass(frozen=True, slots=True)
class Saved:
    sha256: str
    version: ContentVersion


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_SAVING: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def _saving() -> asyncio.Lock:
    """One console save at a time in this process (a lock per event loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _SAVING:
        for old in [known for known in _SAVING if known.is_closed()]:
            del _SAVING[old]
        _SAVING[loop] = asyncio.Lock()
    return _SAVING[loop]


def read_text(path: Path) -> str:
    """The file's text ("" when it does not exist yet)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def problems_in(text: str, path: Path) -> list[Problem]:
    """Every problem `config check` would print for `text` as the file at `path`."""
    try:
        parse_content(text.encode(), path)
    except ContentError as exc:
        return exc.problems
    return []


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def _remember(text: str, by: str, note: str) -> ContentVersion:
    return await ContentVersion.create(
        sha256=sha256_of(text), text=text, saved_by=by[:254], note=note, saved_at=utcnow()
    )


async def save(path: Path, text: str, *, base_hash: str, by: str, note: str = "save") -> Saved:
    """Validate, check the base hash, write atomically and record the version.

    Raises `ContentError` (nothing written) or `Conflict` (nothing written). The text on
    disk before the first console save is recorded as a version too, so it can be restored.
    """
    text = text.replace("\r\n", "\n")
    found = await asyncio.to_thread(problems_in, text, path)
    if found:
        raise ContentError(found)
    async with _saving():
        current = await asyncio.to_thread(read_text, path)
        if sha256_of(current) != base_hash:
            raise Conflict(sha256_of(current))
        latest = await ContentVersion.all().order_by("-id").first()
        if current and (latest is None or latest.sha256 != sha256_of(current)):
            await _remember(current, "", "disk")  # an edit made outside the console
        await asyncio.to_thread(atomic_write, path, text)
        return Saved(sha256_of(text), await _remember(text, by, note))


async def versions(limit: int = 50) -> list[ContentVersion]:
    return await ContentVersion.all().order_by("-id").limit(limit)


def diff(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs: `add`, `del`, `hunk` or `same`."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_name, new_name, lineterm=""
    ):
        if line.startswith(("+++", "---")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out
