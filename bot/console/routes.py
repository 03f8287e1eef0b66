"""The console's routes (`/admin…`) and `setup_console(app)`.

| route | role | what |
|---|---|---|
| `GET/POST /admin/login`, `POST /admin/logout` | anyone | sign in / out |
| `GET /admin` | staff+ | the dashboard (staff are sent to the till) |
| `GET /admin/till` | staff+ | the till (a client of `/api/v1/admin/…`) |
| `GET /admin/members`, `GET /admin/members/{code}` | manager+ | search, the 360 view |
| `POST /admin/members/{code}/points` | manager+ | adjust points with a reason |
| `GET/POST /admin/content`, `GET /admin/content/versions/{id}` | manager+ | the editor |
| `POST /admin/content/versions/{id}/rollback` | manager+ | restore a version |
| `GET/POST /admin/users`, `POST /admin/users/{id}/deactivate` | owner | console users |
| `GET /admin/campaigns/segments[/{id}]` | manager+ | segments with counts, members |
| `GET /admin/campaigns/segments/{id}/members.csv` | manager+ | a segment's members (audited) |
| `GET /admin/campaigns/broadcasts`, `GET/POST …/broadcasts/new` | manager+ | list, compose |
| `POST /admin/campaigns/broadcasts/preview` | manager+ | the live preview (HTML fragment) |
| `GET /admin/campaigns/broadcasts/{id}`, `GET/POST …/{id}/cancel` | manager+ | progress, cancel |
| `GET /admin/reports`, `…/cohorts[.csv]`, `…/rfm[.csv]`, `…/sources[.csv]` | manager+ | reports |
| `GET /admin/reports/games/{game_id}[.csv]` | manager+ | a game and its promotion ledger |
| `GET /admin/static/{name}` | anyone | the console's script, style sheet and QR decoder |
"""

from __future__ import annotations

from aiohttp import web

from bot.console import broadcasts, journeys, reports, segments, views
from bot.console.guard import console_middleware
from bot.console.pages import STATIC

STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".txt": "text/plain"}
INSTALLED = web.AppKey("console_installed", bool)


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = STATIC / name
    kind = STATIC_TYPES.get(path.suffix)
    if "/" in name or name.startswith(".") or kind is None or not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(
        body=path.read_bytes(),
        content_type=kind,
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def campaigns_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/admin/campaigns/segments")


def setup_console(app: web.Application) -> None:
    """Mount the console (after `setup_api`, so its middleware runs inside the audit one)."""
    if app.get(INSTALLED):
        return
    app[INSTALLED] = True
    app.middlewares.append(console_middleware)
    app.router.add_get("/admin/login", views.login_page)
    app.router.add_post("/admin/login", views.login_submit)
    app.router.add_post("/admin/logout", views.logout)
    app.router.add_get("/admin", views.home)
    app.router.add_get("/admin/", views.home)
    app.router.add_get("/admin/till", views.till)
    app.router.add_get("/admin/members", views.members_search)
    app.router.add_get("/admin/members/{code}", views.member_360)
    app.router.add_post("/admin/members/{code}/points", views.adjust_points)
    app.router.add_post("/admin/members/{code}/tags", views.edit_tags)
    app.router.add_get("/admin/content", views.content_page)
    app.router.add_post("/admin/content", views.content_submit)
    app.router.add_get("/admin/content/versions/{id}", views.content_version)
    app.router.add_post("/admin/content/versions/{id}/rollback", views.content_rollback)
    app.router.add_get("/admin/users", views.users_page)
    app.router.add_post("/admin/users", views.users_add)
    app.router.add_post("/admin/users/{id}/deactivate", views.users_deactivate)
    app.router.add_get("/admin/campaigns", campaigns_home)
    app.router.add_get("/admin/campaigns/segments", segments.segments_page)
    app.router.add_get("/admin/campaigns/segments/{id}", segments.segment_members)
    app.router.add_get("/admin/campaigns/segments/{id}/members.csv", segments.segment_csv)
    app.router.add_get("/admin/campaigns/broadcasts", broadcasts.list_page)
    app.router.add_get("/admin/campaigns/broadcasts/new", broadcasts.compose_page)
    app.router.add_post("/admin/campaigns/broadcasts/new", broadcasts.compose_submit)
    app.router.add_post("/admin/campaigns/broadcasts/preview", broadcasts.preview_fragment)
    app.router.add_get("/admin/campaigns/broadcasts/{id}", broadcasts.progress_page)
    app.router.add_get("/admin/campaigns/broadcasts/{id}/cancel", broadcasts.cancel_confirm)
    app.router.add_post("/admin/campaigns/broadcasts/{id}/cancel", broadcasts.cancel_submit)
    app.router.add_get("/admin/campaigns/journeys", journeys.journeys_page)
    app.router.add_get("/admin/campaigns/journeys/{id}", journeys.journey_page)
    app.router.add_get("/admin/reports", reports.index)
    app.router.add_get("/admin/reports/cohorts", reports.cohorts_page)
    app.router.add_get("/admin/reports/cohorts.csv", reports.cohorts_csv)
    app.router.add_get("/admin/reports/rfm", reports.rfm_page)
    app.router.add_get("/admin/reports/rfm.csv", reports.rfm_csv)
    app.router.add_get("/admin/reports/sources", reports.sources_page)
    app.router.add_get("/admin/reports/sources.csv", reports.sources_csv)
    app.router.add_get("/admin/reports/games/{game_id}.csv", reports.game_csv)
    app.router.add_get("/admin/reports/games/{game_id}", reports.game_page)
    app.router.add_get("/admin/static/{name}", static_file)
