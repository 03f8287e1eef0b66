"""Images the API links to: game renders (cached files under `/media`) and member QR codes.

Game images go through `games.render.media` and one `RenderCache` per app, keyed by campaign
version and slice or prize, so after the first play of each outcome a play renders nothing.
Rendering runs in a worker thread, never on the event loop. A failed render is logged and
answered with a null URL: the play itself is already settled and must not fail with it.

Member QR codes are not files. Their token changes every `QR_TTL_SECONDS`, so caching them
on disk would only pile up garbage: `GET /api/v1/me/qr.png?token=…` draws the PNG on demand
(a few milliseconds) for as long as the token is valid.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web

from bot.content.schema import Content
from bot.settings import Settings
from games.config import Game
from games.render import media as renders
from games.render.cache import MediaFile, RenderCache
from games.render.qr import render_qr
from loyalty.settle import PlayResult

log = logging.getLogger("miniapp_api.media")
RENDER_CACHE = web.AppKey("miniapp_render_cache", RenderCache)
QR_SIZE = 480


def setup_media_cache(app: web.Application, settings: Settings) -> None:
    app[RENDER_CACHE] = RenderCache(settings.media_dir)


def absolute(settings: Settings, path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def qr_image_url(settings: Settings, token: str) -> str:
    return absolute(settings, f"/api/v1/me/qr.png?token={token}")


async def qr_png(token: str) -> bytes:
    return await asyncio.to_thread(render_qr, token, size=QR_SIZE)


@dataclass(frozen=True, slots=True)
class PlayImages:
    image_url: str | None = None
    still_url: str | None = None
    cover_url: str | None = None


def _url(settings: Settings, file: MediaFile | None) -> str | None:
    return absolute(settings, file.url_path) if file is not None else None


async def game_face(
    app: web.Application, settings: Settings, content: Content, game: Game
) -> str | None:
    """The wheel at rest or the scratch card cover (None for a quiz or a failed render)."""
    cache = app[RENDER_CACHE]
    try:
        if game.type == "wheel":
            return _url(settings, await renders.wheel_face(cache, game))
        if game.type == "scratch":
            hint = content.texts.game_scratch_button
            return _url(settings, await renders.scratch_cover(cache, game, hint=hint))
    except Exception:
        log.exception("render of %s failed", game.id)
    return None


async def play_images(
    app: web.Application, settings: Settings, content: Content, game: Game, result: PlayResult
) -> PlayImages:
    """Wheel: the spin GIF landing on the slice and its still. Scratch: the revealed card."""
    cache = app[RENDER_CACHE]
    try:
        if game.type == "wheel" and 0 <= result.slice_index < len(game.prizes):
            spin = await renders.wheel_spin(cache, game, result.slice_index)
            return PlayImages(_url(settings, spin.gif), _url(settings, spin.still))
        if game.type == "scratch" and result.prize_id in {p.id for p in game.prizes}:
            reveal = await renders.scratch_reveal(cache, game, result.prize_id)
            cover = await game_face(app, settings, content, game)
            return PlayImages(_url(settings, reveal), cover_url=cover)
    except Exception:
        log.exception("render of play %s failed", result.play_id)
    return PlayImages()
