"""Reads the API needs that `loyalty/` does not offer yet. Read-only: every write goes through
loyalty's services. Each function here is a candidate to move into `loyalty/`."""

from __future__ import annotations

from loyalty.members import resolve
from loyalty.models import Member, Play


async def member_plays(member: Member, game_id: str, *, limit: int = 20) -> list[Play]:
    """A member's plays of one game, newest first (→ `loyalty.plays.history`)."""
    me = await resolve(member)
    return (
        await Play.filter(member_id=me.id, game_id=game_id)
        .order_by("-created_at", "-id")
        .limit(limit)
    )


async def member_code_of(member_id: int) -> str:
    """The live member code of a voucher's owner (→ `loyalty.vouchers.redeem` could return it)."""
    return (await resolve(member_id)).member_code
