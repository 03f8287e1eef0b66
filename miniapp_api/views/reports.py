"""Reports for the shop owner (admin key): cohorts and game campaigns."""

from __future__ import annotations

from bot.journeys.metrics import rates as journey_rates
from bot.journeys.metrics import report as journey_report
from bot.journeys.spec import compile_plan
from bot.outreach.summary import broadcast_results
from bot.web.problems import ApiError
from loyalty.reports.cohorts import cohorts
from loyalty.reports.games import game_report
from loyalty.reports.rfm import rfm_grid
from miniapp_api import schemas as s
from miniapp_api.calls import Call
from miniapp_api.registry import Reply, api
from miniapp_api.schemas import promotions as p
from miniapp_api.views.admin import ADMIN_ERRORS


@api.route(
    "GET",
    "/v1/admin/reports/cohorts",
    summary="Cohorts by first-order or joining month: active members, orders, revenue",
    tag="reports",
    auth="admin",
    query=p.CohortQuery,
    responses={200: p.CohortsOut},
    errors={**ADMIN_ERRORS, 400: ("invalid_query",)},
)
async def cohort_report(call: Call) -> Reply:
    """One row per cohort month (Vietnam time); `months[offset]` = the cohort's members active
    (a paid order) in the month `offset` months later, their orders and revenue (VND).
    Paid orders only. `source=` keeps the members who first came that way (`zalo_follow`,
    `messenger`, `miniapp`, `import`, `pos`, `referral`, `qr:<ref>`)."""
    rows = await cohorts(call.query.by, source=call.query.source)
    out = p.CohortsOut(
        by=call.query.by,
        rows=[
            p.CohortOut(
                cohort=r.cohort,
                members=r.members,
                months=[
                    p.MonthOut(
                        offset=m.offset, active=m.active, orders=m.orders, revenue=m.revenue
                    )
                    for m in r.months
                ],
            )
            for r in rows
        ],
    )
    return Reply(out, headers={"Cache-Control": "no-store"})


@api.route(
    "GET",
    "/v1/admin/reports/games/{game_id}",
    summary="A game campaign: plays, players, wins per prize, stock left, orders after",
    tag="reports",
    auth="admin",
    params=s.GamePath,
    responses={200: p.GameReportOut},
    errors={**ADMIN_ERRORS, 404: ("game_not_found", "not_found")},
)
async def games_report(call: Call) -> Reply:
    """Wins and redeemed vouchers per prize; `orders_after`, `revenue_after`: paid orders of
    players within `after_days` (30) of their first play of this game."""
    game = call.content.game(call.params.game_id)
    if game is None:
        raise ApiError(404, "game_not_found", f"no game {call.params.game_id!r} in the content")
    r = await game_report(game)
    out = p.GameReportOut(
        game_id=r.game_id,
        plays=r.plays,
        players=r.players,
        wins=r.wins,
        prizes=[
            p.GamePrizeOut(
                id=x.id,
                label=x.label,
                wins=x.wins,
                vouchers_redeemed=x.vouchers_redeemed,
                stock_left=x.stock_left,
            )
            for x in r.prizes
        ],
        vouchers_redeemed=r.vouchers_redeemed,
        after_days=r.after_days,
        buyers_after=r.buyers_after,
        orders_after=r.orders_after,
        revenue_after=r.revenue_after,
    )
    return Reply(out, headers={"Cache-Control": "no-store"})


@api.route(
    "GET",
    "/v1/admin/reports/rfm",
    summary="The RFM grid: members and revenue per recency x frequency cell",
    tag="reports",
    auth="admin",
    responses={200: p.RfmGridOut},
    errors=ADMIN_ERRORS,
)
async def rfm_report(call: Call) -> Reply:
    """25 cells (R and F scores 1-5, 5 = most recent / most frequent) with the members in
    each and their revenue within the RFM window, as of the last segment refresh
    (`refreshed_at`); members without an order have no scores and are not counted."""
    grid = await rfm_grid()
    out = p.RfmGridOut(
        cells=[
            p.RfmCellOut(r=c.r, f=c.f, members=c.members, revenue=c.revenue) for c in grid.cells
        ],
        refreshed_at=grid.refreshed_at,
    )
    return Reply(out, headers={"Cache-Control": "no-store"})


@api.route(
    "GET",
    "/v1/admin/reports/campaigns",
    summary="What the broadcasts and journeys brought: reached, converted, revenue, uplift",
    tag="reports",
    auth="admin",
    query=p.CampaignQuery,
    responses={200: p.CampaignsOut},
    errors={**ADMIN_ERRORS, 400: ("invalid_query",)},
)
async def campaign_report(call: Call) -> Reply:
    """The latest 100 broadcasts, newest first: recipients sent to, those with a paid order
    within `days` of their send and its revenue. A broadcast has no control group: this is
    what followed it, not what it caused. Then every journey of the content file with its
    holdout: `uplift` is the conversion rate of the members who got the steps minus that of
    the control group, the number that says what the journey caused."""
    days = call.query.days
    rows = await broadcast_results(days=days)
    journeys = []
    for journey in call.content.journeys:
        j = await journey_report(compile_plan(journey))
        treated_rate, held_rate, uplift = journey_rates(j)
        journeys.append(
            p.JourneyResultOut(
                id=j["id"],
                name=j["name"],
                enrolled=j["enrolled"],
                sent=sum(step["sent"] for step in j["steps"]),
                converted=j["converted"],
                revenue=j["revenue"],
                conversion_rate=treated_rate,
                holdout=p.HoldoutResultOut(**j["holdout"], conversion_rate=held_rate),
                uplift=uplift,
            )
        )
    out = p.CampaignsOut(
        days=days,
        journeys=journeys,
        broadcasts=[
            p.BroadcastResultOut(
                id=r.id,
                name=r.name,
                status=r.status,
                purpose=r.purpose,
                sent=r.sent,
                converted=r.converted,
                revenue=r.revenue,
                conversion_rate=r.conversion_rate,
            )
            for r in rows
        ],
    )
    return Reply(out, headers={"Cache-Control": "no-store"})
