"""Transaction helpers shared by the services.

Every money move runs inside `in_transaction()` with the member's row locked first
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite serializes whole transactions). Locking the member
before any prize, stock or ledger row gives every transaction the same lock order, so
concurrent plays and orders queue instead of deadlocking.

Unique constraints are the last line of defence against duplicates. A violation aborts the
transaction (PostgreSQL cannot continue after an error), so callers retry the whole unit with
`retry_on_conflict`, whose next attempt finds the committed row and returns it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import IntegrityError

from loyalty.errors import MemberNotFound
from loyalty.models import Member
from loyalty.rawsql import locked_member_row

T = TypeVar("T")


async def lock_member(member_id: int) -> Member:
    """Lock and return the member row (call inside a transaction).

    A hand-written `SELECT … FOR UPDATE` (see `rawsql`): every play and order starts here.
    """
    row = await locked_member_row(member_id)
    if row is None:
        raise MemberNotFound(f"no member with id {member_id}")
    return Member._init_from_db(**row)


async def retry_on_conflict(fn: Callable[[], Awaitable[T]], attempts: int = 4) -> T:
    """Run a whole transactional unit again when a unique constraint rejected it."""
    for attempt in range(attempts):
        try:
            return await fn()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
