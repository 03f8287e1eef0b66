"""A game campaign as a chance promotion, for the shop and the authority (admin key).

The ledger (announced, awarded, unawarded, the state budget's 50 % once ended, and whether
the campaign's value calls for registration), the draw log chain's verification, and the
draw log and winner list as CSV or XLSX.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from bot.web.problems import ApiError
from games.config import Game
from loyalty.promotions import chain, exports
from loyalty.promotions.ledger import ledger
from miniapp_api import schemas as s
from miniapp_api.calls import Call
from miniapp_api.registry import Reply, api
from miniapp_api.schemas import promotions as p
from miniapp_api.views.admin import ADMIN_ERRORS

ERRORS = {**ADMIN_ERRORS, 404: ("game_not_found", "not_found")}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _game(call: Call) -> Game:
    game = call.content.game(call.params.game_id)
    if game is None:
        raise ApiError(404, "game_not_found", f"no game {call.params.game_id!r} in the content")
    return game


@api.route(
    "GET",
    "/v1/admin/promotions/{game_id}/ledger",
    summary="The promotion ledger: prizes announced, awarded, unawarded; what is due",
    tag="promotions",
    auth="admin",
    params=s.GamePath,
    responses={200: p.LedgerOut},
    errors=ERRORS,
)
async def promotion_ledger(call: Call) -> Reply:
    """Announced units and values from the content file, awarded units from the plays.
    `state_budget_due` (50 % of the unawarded value, Commercial Law art. 96) is set once the
    campaign's `end` has passed. `registration` compares the announced value with the
    content's `promotions.registration_threshold`."""
    game = _game(call)
    found = await ledger(
        game,
        now=datetime.now(UTC),
        threshold=call.content.promotions.registration_threshold,
    )
    reg = found.registration
    out = p.LedgerOut(
        game_id=game.id,
        prizes=[
            p.LedgerPrizeOut(
                id=line.id,
                label=line.label,
                unit_value=line.unit_value,
                announced=line.announced,
                awarded=line.awarded,
                unawarded=line.unawarded,
            )
            for line in found.prizes
        ],
        announced_value=found.announced_value,
        awarded_value=found.awarded_value,
        unawarded_value=found.unawarded_value,
        state_budget_due=found.state_budget_due,
        ended=found.ended,
        end=game.end,
        registration=p.RegistrationOut(
            threshold=reg.threshold,
            announced_value=reg.announced_value,
            required=reg.required,
            warning=reg.warning(game.id),
        ),
    )
    return Reply(out, headers={"Cache-Control": "no-store"})


@api.route(
    "GET",
    "/v1/admin/promotions/{game_id}/chain",
    summary="Verify the campaign's draw log chain",
    tag="promotions",
    auth="admin",
    params=s.GamePath,
    responses={200: p.ChainOut},
    errors=ADMIN_ERRORS,
)
async def promotion_chain(call: Call) -> Reply:
    """Seals the draws waiting, then checks every entry (as `python -m bot promotions
    verify`). A campaign no longer in the content can still be verified."""
    result = await chain.verify(call.params.game_id)
    b = result.broken
    out = p.ChainOut(
        game_id=result.game_id,
        ok=result.ok,
        draws=result.draws,
        head=result.head,
        broken=None
        if b is None
        else p.BrokenOut(seq=b.seq, draw_log_id=b.draw_log_id, play_id=b.play_id, reason=b.reason),
    )
    return Reply(out, headers={"Cache-Control": "no-store"})


async def _send(
    call: Call, name: str, header: tuple[str, ...], rows: AsyncIterator[list[object]]
) -> web.StreamResponse:
    fmt = call.query.format
    filename = f"{call.params.game_id}-{name}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    if fmt == "xlsx":
        body = await exports.xlsx_bytes(name, header, rows)
        return web.Response(body=body, headers={**headers, "Content-Type": MEDIA["xlsx"]})
    response = web.StreamResponse(headers={**headers, "Content-Type": MEDIA["csv"]})
    await response.prepare(call.request)
    async for chunk in exports.csv_chunks(header, rows):
        await response.write(chunk)
    await response.write_eof()
    return response


@api.route(
    "GET",
    "/v1/admin/promotions/{game_id}/draws",
    summary="The draw log for the authority (CSV or XLSX)",
    tag="promotions",
    auth="admin",
    params=s.GamePath,
    query=p.ExportQuery,
    raw_response=(200, "text/csv", "one row per draw, in order, with its chain entry"),
    errors={**ADMIN_ERRORS, 400: ("invalid_query",)},
)
async def export_draws(call: Call) -> web.StreamResponse:
    """Every draw of the campaign in order: time (Vietnam), member code, rules version, RNG,
    roll, the prize drawn and the prize given, the stock seen, and its chain hashes."""
    await chain.seal(call.params.game_id)
    return await _send(call, "draws", exports.DRAW_HEADER, exports.draw_rows(call.params.game_id))


@api.route(
    "GET",
    "/v1/admin/promotions/{game_id}/winners",
    summary="The winner list for the authority (CSV or XLSX), with full names and phones",
    tag="promotions",
    auth="admin",
    params=s.GamePath,
    query=p.ExportQuery,
    raw_response=(200, "text/csv", "one row per prize unit won"),
    errors={**ERRORS, 400: ("invalid_query",)},
)
async def export_winners(call: Call) -> web.StreamResponse:
    """The shop's own record (the public page masks names and phones): prize, its value,
    the member, the voucher issued and when it was redeemed."""
    game = _game(call)
    labels = {prize.id: (prize.label, prize.unit_value) for prize in game.prizes}
    return await _send(
        call, "winners", exports.WINNER_HEADER, exports.winner_rows(game.id, labels)
    )
