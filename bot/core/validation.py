"""Startup check of every handler's and filter's parameters against what can be injected.

Implicit injection by argument name is convenient, but a misspelled parameter would otherwise
surface only when a user hits that handler. Here each parameter must be a name something
provides on the way to that handler: a built-in, a name declared on the Dispatcher, a key a
middleware on the handler's path `provides`, or a key a filter before it `provides`.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from bot.core.handler import CallableObject, FilterObject
from bot.core.router import Router

BUILTINS = frozenset({"event", "data", "dispatcher"})
HANDLER_ONLY = frozenset({"handler"})  # the matched HandlerObject, set before inner middlewares
FSM_NAMES = frozenset({"state", "raw_state"})


def _report(
    problems: list[str],
    where: str,
    obj: CallableObject,
    names: Iterable[str],
    scope: frozenset[str],
) -> None:
    for name in names:
        if name in scope:
            continue
        if name in FSM_NAMES:
            hint = "; the FSM needs Dispatcher(storage=..., locks=...)"
        else:
            close = get_close_matches(name, sorted(scope), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(f"{where}: {obj.name} asks for {name!r}, which nothing injects{hint}")


def _filters(
    problems: list[str], where: str, filters: Iterable[FilterObject], scope: frozenset[str]
) -> frozenset[str]:
    """Check filters in order; return the scope grown by what they provide."""
    for flt in filters:
        _report(problems, where, flt, sorted(flt.needs()), scope)
        scope = scope | flt.provides
    return scope


def _walk(
    problems: list[str], router: Router, kind: str, outer: frozenset[str], inner: frozenset[str]
) -> None:
    observer = router.observers[kind]
    where = f"{router!r} {kind}"
    scope = outer | router.outer_middleware.provides() | observer.outer_middleware.provides()
    scope = _filters(problems, f"{where} root filter", observer.root_filters, scope)
    inner = inner | router.middleware.provides() | observer.middleware.provides()
    for handler in observer.handlers:
        handler_scope = _filters(problems, f"{where} filter", handler.filters, scope)
        _report(problems, f"{where} handler", handler, handler.params, handler_scope | inner)
    for sub in router.sub_routers:
        _walk(problems, sub, kind, scope, inner)


def check_tree(root: Router, base: frozenset[str]) -> list[str]:
    """Every problem found below `root`, as one readable line each."""
    problems: list[str] = []
    base = base | BUILTINS
    for kind in root.observers:
        _walk(problems, root, kind, base, HANDLER_ONLY)
    for router in root.chain_tail:
        errors = router.errors
        where = f"{router!r} errors"
        scope = base | errors.injects | errors.middleware.provides()
        for node in router.chain_head:
            scope |= node.outer_middleware.provides()
        scope = _filters(problems, f"{where} root filter", errors.root_filters, scope)
        for handler in errors.handlers:
            handler_scope = _filters(problems, f"{where} filter", handler.filters, scope)
            _report(problems, f"{where} handler", handler, handler.params, handler_scope)
    return problems
