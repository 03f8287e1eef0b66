"""Callables with injected keyword arguments: handlers, filters and hooks.

A callable's signature is read once, at registration. At call time it receives only the
keyword arguments it names, taken from the event's `data` dict (the DI container). The names
are checked against what the dispatcher can inject by `Dispatcher.validate()`, at startup.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from bot.core.exceptions import HandlerSignatureError, MissingInjectable


class _Unhandled:
    """Type of :data:`UNHANDLED`; falsy so `if result:` reads naturally."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNHANDLED"

    def __bool__(self) -> bool:
        return False


UNHANDLED: Final = _Unhandled()
"""Returned by `feed_event` (and routers) when no handler matched the event."""


def describe(callback: Any) -> str:
    """A human pointer to a callable for error messages: `module.qualname (file.py:line)`."""
    target = inspect.unwrap(callback) if inspect.isfunction(callback) else callback
    func = getattr(target, "__func__", target)
    name = getattr(func, "__qualname__", None) or type(target).__qualname__
    module = getattr(func, "__module__", None) or type(target).__module__
    code = getattr(func, "__code__", None)
    if code is None:  # a callable object: point at its __call__
        call = vars(type(target)).get("__call__") or type(target).__call__
        code = getattr(call, "__code__", None)
    where = f" ({Path(code.co_filename).name}:{code.co_firstlineno})" if code else ""
    return f"{module}.{name}{where}"


class CallableObject:
    """A callable plus what its signature asks for."""

    __slots__ = ("callback", "name", "params", "required", "takes_all")

    def __init__(self, callback: Callable[..., Any]) -> None:
        if not callable(callback):
            raise TypeError(f"expected a callable, got {callback!r}")
        self.callback = callback
        self.name = describe(callback)
        try:
            signature = inspect.signature(callback)
        except (TypeError, ValueError) as exc:
            raise HandlerSignatureError(f"cannot read the signature of {self.name}") from exc
        params: list[str] = []
        required: list[str] = []
        self.takes_all = False
        for p in signature.parameters.values():
            if p.kind is p.VAR_KEYWORD:
                self.takes_all = True
            elif p.kind is p.VAR_POSITIONAL:
                continue  # nothing is ever passed positionally
            elif p.kind is p.POSITIONAL_ONLY:
                if p.default is p.empty:
                    raise HandlerSignatureError(
                        f"{self.name}: positional-only parameter {p.name!r} cannot be injected;"
                        " arguments are passed by name"
                    )
            else:
                params.append(p.name)
                if p.default is p.empty:
                    required.append(p.name)
        self.params: tuple[str, ...] = tuple(params)
        self.required = frozenset(required)

    def kwargs(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Pick the arguments this callable names (`data` itself under the name "data")."""
        if self.takes_all:
            return {**data, "data": data}
        picked: dict[str, Any] = {}
        for name in self.params:
            if name == "data":
                picked[name] = data
            elif name in data:
                picked[name] = data[name]
            elif name in self.required:
                raise MissingInjectable(f"{self.name} needs {name!r} but the event data lacks it")
        return picked

    async def call(self, data: Mapping[str, Any]) -> Any:
        result = self.callback(**self.kwargs(data))
        if inspect.isawaitable(result):
            result = await result
        return result


class FilterObject(CallableObject):
    """A filter: truthy passes, a dict passes and adds its keys to the handler's kwargs."""

    __slots__ = ("provides",)

    def __init__(self, flt: Any) -> None:
        if isinstance(flt, bool) or flt is None:
            raise TypeError(
                f"a filter must be a Filter or a callable, got {flt!r}; did a comparison run"
                " where a filter object was meant?"
            )
        super().__init__(flt)
        self.provides = frozenset(getattr(flt, "provides", ()))

    def needs(self) -> frozenset[str]:
        """Names this filter reads from the data (combinators report their children's)."""
        custom = getattr(self.callback, "needs", None)
        return frozenset(custom()) if callable(custom) else frozenset(self.params)

    async def check(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        """None when the filter rejects; otherwise the extra kwargs (possibly empty)."""
        result = await self.call(data)
        if isinstance(result, dict):
            return result
        return {} if result else None


def as_filter(flt: Any) -> FilterObject:
    return flt if isinstance(flt, FilterObject) else FilterObject(flt)


class HandlerObject(CallableObject):
    """A handler with its filters; the filters run in order, each seeing the previous' keys."""

    __slots__ = ("filters",)

    def __init__(self, callback: Callable[..., Any], filters: Sequence[Any] = ()) -> None:
        super().__init__(callback)
        self.filters = tuple(as_filter(f) for f in filters)

    async def check(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        extra: dict[str, Any] = {}
        for flt in self.filters:
            result = await flt.check({**data, **extra} if extra else data)
            if result is None:
                return None
            extra.update(result)
        return extra

    def __repr__(self) -> str:
        return f"<HandlerObject {self.name}>"
