"""Images the flows send: rendered or copied under `/media/…`, linked by absolute URL.

Platforms fetch images by URL, so a banner the admin references as `assets/banner.png` is
copied once into the media folder (named by its path, size and modification time: an edited
file gets a new name, so caches never show the old one) and linked under PUBLIC_BASE_URL.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.content.schema import Content
from games.render.cache import MediaFile, RenderCache

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.handlers.media")

CACHE_KEY = "render_cache"


def render_cache(runtime: Runtime) -> RenderCache:
    """The process' render cache over `DATA_DIR/media` (shared by every flow)."""
    cache = runtime.extras.get(CACHE_KEY)
    if not isinstance(cache, RenderCache):
        cache = RenderCache(runtime.settings.media_dir)
        runtime.extras[CACHE_KEY] = cache
    return cache


def absolute_url(runtime: Runtime, file: MediaFile) -> str:
    return runtime.settings.PUBLIC_BASE_URL + file.url_path


async def asset_url(runtime: Runtime, content: Content, ref: str | None) -> str | None:
    """An absolute URL for an image reference of the content file, or None if it is gone.

    `https://…` references are used as they are; local files are published under `/media/`.
    """
    if not ref:
        return None
    if ref.startswith(("http://", "https://")):
        return ref
    path = content.asset_path(ref)
    if path is None:
        log.warning("image %r of the content file not found; sent without it", ref)
        return None
    try:
        stat = await asyncio.to_thread(path.stat)
    except OSError:
        log.warning("image %s cannot be read; sent without it", path)
        return None
    ext = path.suffix.lstrip(".").lower() or "png"
    key = (path.stem, str(path), stat.st_size, stat.st_mtime_ns)
    file = await render_cache(runtime).aget_or_render(key, path.read_bytes, ext)
    return absolute_url(runtime, file)
