"""Routes of the public campaign page (no sign-in).

| route | what |
|---|---|
| `GET /promotions/{game_id}` | rules, prizes with units left, winners (masked), `?page=N` |
| `GET /promotions/{game_id}/live.json` | units left per prize and the winner count, now |
| `GET /promotions/static/{name}` | the page's style sheet and script |

No inline script or style anywhere: the page works under a Content-Security-Policy without
'unsafe-inline', and sends one itself.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.appkeys import CONTENT
from bot.promotions_page import page
from games.config import SLUG, Game
from loyalty.promotions.winners import remaining_units, winners_page

STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self';"
    " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_SLUG = re.compile(SLUG)
MAX_PAGE = 100_000


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"},
    )


def _game(request: web.Request) -> Game | None:
    game_id = request.match_info["game_id"]
    if not _SLUG.match(game_id):
        return None
    return request.app[CONTENT].current.game(game_id)


async def campaign_page(request: web.Request) -> web.Response:
    game = _game(request)
    if game is None:
        return _html(page.render_missing(request.match_info["game_id"][:64]), 404)
    raw = request.query.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise web.HTTPBadRequest(text=f"page must be a number from 1 to {MAX_PAGE}")
    shop = request.app[CONTENT].current.shop.name
    return _html(await page.render_page(game, shop, int(raw), f"/promotions/{game.id}"))


async def live(request: web.Request) -> web.Response:
    game = _game(request)
    if game is None:
        raise web.HTTPNotFound(text="no such campaign")
    left = await remaining_units(game.id)
    winners = await winners_page(game.id, 1, size=1)
    body = {
        "game_id": game.id,
        "remaining": {
            p.id: left.get(p.id, p.stock or 0) for p in game.prizes if not p.is_no_prize
        },
        "winners": winners.total,
    }
    return web.json_response(body, headers={"Cache-Control": "no-cache"})


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = page.STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES:
        raise web.HTTPNotFound()
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path, headers={"Content-Type": STATIC_TYPES[path.suffix], "Cache-Control": "no-cache"}
    )


def setup_promotions_page(app: web.Application) -> None:
    app.router.add_get("/promotions/static/{name}", static_file)
    app.router.add_get("/promotions/{game_id}", campaign_page)
    app.router.add_get("/promotions/{game_id}/live.json", live)
