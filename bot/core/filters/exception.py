"""`ExceptionType`: for `router.errors` handlers, match the exception's class."""

from __future__ import annotations

from bot.core.filters.base import Filter


class ExceptionType(Filter):
    def __init__(self, *types: type[BaseException]) -> None:
        if not types:
            raise ValueError("ExceptionType() needs at least one exception class")
        self.types = types

    def __call__(self, exception: BaseException) -> bool:
        return isinstance(exception, self.types)
