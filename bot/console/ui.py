"""What every console page needs besides its own data: the signed-in user, the CSRF token,
a 404 page, and CSV downloads (UTF-8 with a BOM so Excel keeps the Vietnamese, streamed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiohttp import web

from bot.console.guard import SIGNED
from bot.console.pages import render
from loyalty.promotions.exports import csv_chunks


def show(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """Render a page for the signed-in user (navigation, their CSRF token)."""
    signed = request[SIGNED]
    return render(
        template, status=status, signed=signed, csrf=signed.session.csrf_token, **context
    )


def not_found(request: web.Request, message: str) -> web.HTTPNotFound:
    page = show(request, "error.html", title="Không tìm thấy", message=message)
    return web.HTTPNotFound(text=page.text, content_type="text/html")


async def send_csv(
    request: web.Request,
    filename: str,
    header: Sequence[str],
    rows: AsyncIterator[list[Any]],
) -> web.StreamResponse:
    """Stream `rows` under `header` as `filename` (chunks of ~500 rows, bounded memory)."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    async for chunk in csv_chunks(header, rows):
        await response.write(chunk)
    await response.write_eof()
    return response
