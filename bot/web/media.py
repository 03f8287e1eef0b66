"""`/media/...`: rendered images under content-hashed names, so they cache forever."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import SETTINGS

CACHE_FOREVER = "public, max-age=31536000, immutable"


async def media(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if "/" in name or name.startswith(".") or "\\" in name:
        raise web.HTTPNotFound()
    path = request.app[SETTINGS].media_dir / name
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": CACHE_FOREVER})


def setup_media(app: web.Application) -> None:
    app.router.add_get("/media/{name}", media)
