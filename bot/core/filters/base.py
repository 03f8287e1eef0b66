"""The Filter base and its `&`, `|`, `~` combinators.

A filter is any callable whose parameters are injected by name from the event data (like a
handler). It may be sync or async and returns a bool, or a dict that passes and adds keys to
the handler's kwargs. List such keys in `provides` so `Dispatcher.validate()` knows them.
Plain callables mix with Filter objects: `Text(equals="menu") | is_admin`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Mapping
from typing import Any

from bot.core.handler import FilterObject, as_filter

FilterResult = bool | dict[str, Any]


class Filter(ABC):
    """Subclass and implement `__call__` with the parameters you need (e.g. `event`)."""

    provides: tuple[str, ...] | frozenset[str] = ()

    @abstractmethod
    def __call__(self, *args: Any, **kwargs: Any) -> FilterResult | Awaitable[FilterResult]:
        """Return True/False, or a dict of extra handler kwargs to pass."""

    def __and__(self, other: Any) -> Filter:
        return And(self, other)

    def __rand__(self, other: Any) -> Filter:
        return And(other, self)

    def __or__(self, other: Any) -> Filter:
        return Or(self, other)

    def __ror__(self, other: Any) -> Filter:
        return Or(other, self)

    def __invert__(self) -> Filter:
        return Not(self)


class And(Filter):
    """All must pass, in order; each sees the keys added by the ones before it."""

    def __init__(self, *filters: Any) -> None:
        items: list[FilterObject] = []
        for flt in filters:
            items.extend(flt.filters if isinstance(flt, And) else (as_filter(flt),))
        self.filters: tuple[FilterObject, ...] = tuple(items)
        self.provides = frozenset().union(*(f.provides for f in self.filters))

    def needs(self) -> frozenset[str]:
        needed: set[str] = set()
        provided: set[str] = set()
        for flt in self.filters:
            needed |= flt.needs() - provided
            provided |= flt.provides
        return frozenset(needed)

    async def __call__(self, data: Mapping[str, Any]) -> FilterResult:
        extra: dict[str, Any] = {}
        for flt in self.filters:
            result = await flt.check({**data, **extra} if extra else data)
            if result is None:
                return False
            extra.update(result)
        return extra

    def __repr__(self) -> str:
        return " & ".join(f.name for f in self.filters)


class Or(Filter):
    """The first that passes wins; only keys every branch provides are guaranteed."""

    def __init__(self, *filters: Any) -> None:
        items: list[FilterObject] = []
        for flt in filters:
            items.extend(flt.filters if isinstance(flt, Or) else (as_filter(flt),))
        self.filters: tuple[FilterObject, ...] = tuple(items)
        self.provides = frozenset.intersection(*(frozenset(f.provides) for f in self.filters))

    def needs(self) -> frozenset[str]:
        return frozenset().union(*(f.needs() for f in self.filters))

    async def __call__(self, data: Mapping[str, Any]) -> FilterResult:
        for flt in self.filters:
            result = await flt.check(data)
            if result is not None:
                return result
        return False


class Not(Filter):
    """Passes when the inner filter rejects; adds no keys."""

    def __init__(self, flt: Any) -> None:
        self.filter = as_filter(flt)

    def needs(self) -> frozenset[str]:
        return self.filter.needs()

    async def __call__(self, data: Mapping[str, Any]) -> FilterResult:
        return await self.filter.check(data) is None
