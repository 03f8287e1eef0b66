"""Conversation states, declared as classes: `class Phone(StatesGroup): waiting = State()`.

A state's stored name is "Group:attr" ("Phone:waiting"; nested groups "Outer.Inner:attr"),
so renaming a class or attribute changes what is stored: keep them stable once deployed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

ANY_STATE: Final = "*"
"""In `StateFilter`: any state, including none."""

DEFAULT_STATE: Final = None
"""In `StateFilter` and `set_state`: no state."""


class State:
    """One step of a conversation; named by the StatesGroup it is defined in."""

    __slots__ = ("_group", "_name")

    def __init__(self, name: str | None = None) -> None:
        self._name = name
        self._group: type[StatesGroup] | None = None

    def __set_name__(self, owner: type, attr: str) -> None:
        if self._name is None:
            self._name = attr

    @property
    def state(self) -> str:
        if self._name is None:
            raise ValueError("a State needs a name or a StatesGroup attribute to name it")
        if self._group is None:
            return self._name
        return f"{self._group.full_name()}:{self._name}"

    @property
    def group(self) -> type[StatesGroup] | None:
        return self._group

    def __str__(self) -> str:
        return self.state

    def __repr__(self) -> str:
        return f"<State {self.state!r}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, State):
            return self.state == other.state
        if isinstance(other, str):
            return self.state == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.state)


class StatesGroup:
    """A namespace of States; subclasses name their states and nested groups."""

    __states__: ClassVar[tuple[State, ...]] = ()
    __children__: ClassVar[tuple[type[StatesGroup], ...]] = ()
    __parent__: ClassVar[type[StatesGroup] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        states: list[State] = []
        children: list[type[StatesGroup]] = []
        for value in vars(cls).values():
            if isinstance(value, State):
                value._group = cls
                states.append(value)
            elif isinstance(value, type) and issubclass(value, StatesGroup):
                value.__parent__ = cls
                children.append(value)
        cls.__states__ = tuple(states)
        cls.__children__ = tuple(children)
        cls.__parent__ = None  # set by an enclosing group, which is created after this one

    @classmethod
    def full_name(cls) -> str:
        if cls.__parent__ is None:
            return cls.__name__
        return f"{cls.__parent__.full_name()}.{cls.__name__}"

    @classmethod
    def all_states(cls) -> tuple[State, ...]:
        """This group's states and those of nested groups."""
        nested = tuple(s for child in cls.__children__ for s in child.all_states())
        return cls.__states__ + nested

    @classmethod
    def state_names(cls) -> frozenset[str]:
        return frozenset(s.state for s in cls.all_states())


def state_name(state: State | str | None) -> str | None:
    """What is stored for `state`: its "Group:attr" name, the string itself, or None."""
    if state is None or isinstance(state, str):
        if state == ANY_STATE:
            raise ValueError('"*" matches any state in filters; it cannot be stored')
        return state
    if isinstance(state, State):
        return state.state
    raise TypeError(f"expected a State, a string or None, got {state!r}")
