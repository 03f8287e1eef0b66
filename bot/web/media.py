"""`/media/...`: rendered and published images under content-hashed names, cached forever.

Platforms fetch images by URL, so a banner the admin references as `assets/banner.png` is
copied once into the media folder (named by its path, size and modification time: an edited
file gets a new name, so caches never show the old one) and linked under PUBLIC_BASE_URL.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.content.schema import Content
from games.render.cache import MediaFile, RenderCache

log = logging.getLogger("bot.web.media")

CACHE_FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Media:
    """The process's render cache over `DATA_DIR/media` and the public base of its URLs."""

    cache: RenderCache
    base_url: str  # PUBLIC_BASE_URL

    def url(self, file: MediaFile) -> str:
        return self.base_url + file.url_path

    async def asset_url(self, content: Content, ref: str | None) -> str | None:
        """An absolute URL for an image reference of the content file, or None if it is
        gone. `https://…` references are used as they are; local files are published under
        `/media/`."""
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
        file = await self.cache.aget_or_render(key, path.read_bytes, ext)
        return self.url(file)


MEDIA = web.AppKey("media", Media)


def setup_media(app: web.Application, media_dir: Path) -> None:
    async def media(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if "/" in name or name.startswith(".") or "\\" in name:
            raise web.HTTPNotFound()
        path = media_dir / name
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": CACHE_FOREVER})

    app.router.add_get("/media/{name}", media)
