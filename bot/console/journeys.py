"""Campaigns → Journeys: each journey of the content file with its entries, conversions and
uplift against the holdout, and one journey's numbers per step.

Reads through `bot.journeys.metrics`, the functions `GET /api/v1/admin/journeys/{id}` and
the campaign report use.
"""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import CONTENT
from bot.console.guard import page
from bot.console.ui import not_found, show
from bot.journeys.metrics import rates, report
from bot.journeys.spec import compile_plan


@page("manager")
async def journeys_page(request: web.Request) -> web.StreamResponse:
    items = []
    for journey in request.app[CONTENT].current.journeys:
        numbers = await report(compile_plan(journey))
        items.append((journey, numbers, rates(numbers)))
    return show(request, "journeys.html", title="Hành trình", items=items)


@page("manager")
async def journey_page(request: web.Request) -> web.StreamResponse:
    journey_id = request.match_info["id"]
    journey = next((j for j in request.app[CONTENT].current.journeys if j.id == journey_id), None)
    if journey is None:
        raise not_found(request, "Không có hành trình này trong tệp nội dung.")
    numbers = await report(compile_plan(journey))
    return show(
        request,
        "journey.html",
        title=journey.name,
        journey=journey,
        n=numbers,
        rates=rates(numbers),
    )
