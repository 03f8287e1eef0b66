"""Rendered images on disk under content-hashed names: each image is drawn once.

A file's name is the sha256 of its key parts (which include the campaign's `version()` and
`LAYOUT_VERSION`), so editing a campaign or the layout gives new names and old links keep
working until pruned, while the thousandth spin landing on slice 3 reuses the first one's
files. Files are written to a temp file and renamed, so the web server never serves half an
image, and two processes rendering the same key at once just replace one file with an
identical one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

# Bump when any renderer's layout changes, so files drawn by the old code are not reused.
LAYOUT_VERSION = "1"
_SLUG = re.compile(r"[^a-z0-9-]+")
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A rendered file: `url_path` is what `/media/...` serves it under. `rendered` is True
    only for the call that actually drew it."""

    name: str
    path: Path
    url_path: str
    rendered: bool


class RenderCache:
    """Get-or-render for images under `media_dir`, with a count of renders performed.

    Renders run in a worker thread via `asyncio.to_thread` (see `aget_or_render`) rather
    than a process pool: each key is drawn once per campaign version, so renders are rare
    and short (well under a second); Pillow drops the GIL in its heavy C loops (resize,
    rotate, quantize, encode); and a thread needs no pickling of the Game or the render
    function, no worker start-up and no second copy of the fonts. A semaphore caps parallel
    renders so a burst of first plays cannot take over the default thread pool.
    """

    def __init__(
        self, media_dir: Path, *, url_prefix: str = "/media", max_parallel: int = 2
    ) -> None:
        self.media_dir = Path(media_dir)
        self.url_prefix = "/" + url_prefix.strip("/")
        self.max_parallel = max_parallel
        self._renders = 0
        self._count_lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(32)]
        self._known: set[str] = set()
        self._sem: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    @property
    def renders(self) -> int:
        """How many times a render function ran (hits never count)."""
        return self._renders

    def name_for(self, key_parts: tuple[Any, ...], ext: str) -> str:
        """The file name for a key: `<first part as a slug>-<sha256 prefix>.<ext>`."""
        blob = json.dumps(
            [LAYOUT_VERSION, *key_parts],
            ensure_ascii=False,
            separators=(",", ":"),
            default=_jsonable,
        )
        digest = hashlib.sha256(blob.encode()).hexdigest()[:32]
        ext = _SLUG.sub("", ext.lower().lstrip("."))
        if not ext:
            raise ValueError("a file extension is required")
        head = key_parts[0] if key_parts and isinstance(key_parts[0], str) else ""
        prefix = _SLUG.sub("-", head.lower()).strip("-")[:32]
        return f"{prefix}-{digest}.{ext}" if prefix else f"{digest}.{ext}"

    def get_or_render(
        self, key_parts: tuple[Any, ...], render_fn: Callable[[], bytes], ext: str
    ) -> MediaFile:
        """The cached file for `key_parts`, calling `render_fn` only when it is not on disk.

        Blocking (file I/O and drawing): from async code use `aget_or_render`.
        """
        name = self.name_for(key_parts, ext)
        path = self.media_dir / name
        with self._stripes[hash(name) % len(self._stripes)]:
            if name in self._known or path.is_file():
                self._known.add(name)
                return self._file(name, rendered=False)
            data = render_fn()
            with self._count_lock:
                self._renders += 1
            self._write(path, data)
            self._known.add(name)
        return self._file(name, rendered=True)

    async def aget_or_render(
        self, key_parts: tuple[Any, ...], render_fn: Callable[[], bytes], ext: str
    ) -> MediaFile:
        """`get_or_render` without blocking the event loop.

        A name already seen by this process is answered from memory, with no thread hop.
        Files are expected to disappear only through `prune()`, which forgets them too.
        """
        name = self.name_for(key_parts, ext)
        if name in self._known:
            return self._file(name, rendered=False)
        async with self._semaphore():
            return await render_in_thread(self.get_or_render, key_parts, render_fn, ext)

    def prune(self, older_than_seconds: float) -> int:
        """Delete rendered files older than the given age (e.g. old campaign versions and
        per-member cards); they are re-rendered on demand. Returns how many were removed."""
        if not self.media_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.media_dir.iterdir():
            if path.is_file() and not path.name.startswith(".") and path.stat().st_mtime < cutoff:
                with self._stripes[hash(path.name) % len(self._stripes)]:
                    path.unlink(missing_ok=True)
                    self._known.discard(path.name)
                removed += 1
        return removed

    def _file(self, name: str, *, rendered: bool) -> MediaFile:
        return MediaFile(name, self.media_dir / name, f"{self.url_prefix}/{name}", rendered)

    def _write(self, path: Path, data: bytes) -> None:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.media_dir, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; a front web server must read it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _semaphore(self) -> asyncio.Semaphore:
        # One per event loop: a semaphore bound to a closed loop would fail in the next one.
        loop = asyncio.get_running_loop()
        if self._sem is None or self._sem[0] is not loop:
            self._sem = (loop, asyncio.Semaphore(self.max_parallel))
        return self._sem[1]


async def render_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking render (or anything CPU-bound and short) without stalling the event
    loop; for images that are not worth caching, such as a one-off preview. See
    `RenderCache` for why a thread and not a process pool."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def _jsonable(value: Any) -> Any:
    """Key parts may hold dataclasses, enums and paths; anything else must be JSON already,
    so an object with an identity-based repr can never silently defeat the cache."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot use {type(value).__name__} in a render cache key")
