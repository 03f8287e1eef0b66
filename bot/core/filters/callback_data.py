"""Typed button payloads: a prefix plus fields, packed into one short string.

    class Spin(CallbackData, prefix="spin"):
        game: str
        round: int = 1

    Button(title="Quay", payload=Spin(game="lucky-wheel").pack())   # "spin:lucky-wheel:1"

    @router.payload(Spin.filter(lambda d: d.round == 1))
    async def on_spin(callback_data: Spin) -> None: ...

Packed payloads are at most 1000 characters (the Messenger postback and quick reply limit; Zalo
button payloads are shorter in practice). A value containing the separator is rejected rather
than escaped, so payloads stay readable in logs and in the sandbox. None packs as an empty
value, so an optional field unpacks "" as None.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Self, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

from bot.core.events import Event
from bot.core.exceptions import CallbackDataError
from bot.core.filters.base import Filter, FilterResult

MAX_PAYLOAD_LENGTH = 1000


def _encode(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str | int | float | Decimal | UUID):
        return str(value)
    raise CallbackDataError(f"field {name!r}: cannot pack a {type(value).__name__}")


def _nullable(field: FieldInfo) -> bool:
    origin = get_origin(field.annotation)
    if origin is Union or origin is types.UnionType:
        return type(None) in get_args(field.annotation)
    return field.annotation is type(None) or (not field.is_required() and field.default is None)


class CallbackData(BaseModel):
    """Subclass with `prefix=` (and optionally `sep=`, default ":") and typed fields."""

    model_config = ConfigDict(frozen=True)

    __prefix__: ClassVar[str]
    __sep__: ClassVar[str] = ":"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        prefix = kwargs.pop("prefix", None)
        sep = kwargs.pop("sep", ":")
        super().__init_subclass__(**kwargs)
        if not isinstance(prefix, str) or not prefix:
            raise TypeError(f"{cls.__name__} needs a prefix: class {cls.__name__}(..., prefix=)")
        if not sep or sep in prefix:
            raise TypeError(f"{cls.__name__}: the separator {sep!r} must not be in the prefix")
        cls.__prefix__ = prefix
        cls.__sep__ = sep

    def pack(self) -> str:
        sep = self.__sep__
        parts = [self.__prefix__]
        for name in type(self).model_fields:
            text = _encode(name, getattr(self, name))
            if sep in text:
                raise CallbackDataError(f"field {name!r} value {text!r} contains {sep!r}")
            parts.append(text)
        packed = sep.join(parts)
        if len(packed) > MAX_PAYLOAD_LENGTH:
            raise CallbackDataError(f"packed payload is {len(packed)} > 1000 characters")
        return packed

    @classmethod
    def unpack(cls, payload: str) -> Self:
        if len(payload) > MAX_PAYLOAD_LENGTH:
            raise CallbackDataError("payload longer than 1000 characters")
        prefix, *values = payload.split(cls.__sep__)
        if prefix != cls.__prefix__:
            raise CallbackDataError(f"prefix {prefix!r} is not {cls.__prefix__!r}")
        fields = cls.model_fields
        if len(values) != len(fields):
            raise CallbackDataError(f"{cls.__name__} expects {len(fields)} values")
        kwargs = {
            name: None if value == "" and _nullable(field) else value
            for (name, field), value in zip(fields.items(), values, strict=True)
        }
        try:
            return cls(**kwargs)
        except ValidationError as exc:
            raise CallbackDataError(f"{cls.__name__}: {exc.error_count()} bad values") from exc

    @classmethod
    def filter(
        cls, rule: Callable[[Self], bool] | None = None, *, key: str = "callback_data"
    ) -> CallbackDataFilter:
        """Match payloads of this class (and `rule`); injects the parsed object as `key`."""
        return CallbackDataFilter(cls, rule, key=key)


class CallbackDataFilter(Filter):
    def __init__(
        self,
        cls: type[CallbackData],
        rule: Callable[[Any], bool] | None = None,
        *,
        key: str = "callback_data",
    ) -> None:
        self.cls = cls
        self.rule = rule
        self.key = key
        self.provides = (key,)

    def __call__(self, event: Event) -> FilterResult:
        payload = getattr(event, "payload", None)
        if not isinstance(payload, str):
            return False
        try:
            parsed = self.cls.unpack(payload)
        except CallbackDataError:
            return False
        if self.rule is not None and not self.rule(parsed):
            return False
        return {self.key: parsed}

    def __repr__(self) -> str:
        return f"{self.cls.__name__}.filter(rule={self.rule!r})"
