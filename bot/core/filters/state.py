"""`StateFilter`: the user's FSM state (read under the user's lock by the FSM middleware)."""

from __future__ import annotations

from typing import Any

from bot.core.filters.base import Filter
from bot.core.fsm.state import ANY_STATE, State, StatesGroup, state_name


class StateFilter(Filter):
    """Pass when the current state is one of `states`.

    Accepts State objects, stored names ("Phone:waiting"), StatesGroup classes (any of their
    states), None (no state) and "*" (any state, including none).
    """

    def __init__(self, *states: State | str | type[StatesGroup] | None) -> None:
        if not states:
            raise ValueError("StateFilter() needs at least one state (None means no state)")
        self.any = False
        names: set[str | None] = set()
        for state in states:
            if isinstance(state, str) and state == ANY_STATE:
                self.any = True
            elif isinstance(state, type) and issubclass(state, StatesGroup):
                names |= state.state_names()
            else:
                names.add(state_name(state))
        self.names = frozenset(names)

    def __call__(self, raw_state: str | None) -> bool:
        return self.any or raw_state in self.names

    def __repr__(self) -> str:
        shown: list[Any] = sorted(self.names, key=str)
        return f"StateFilter({'*' if self.any else shown})"
