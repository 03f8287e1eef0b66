from bot.core.filters.base import And, Filter, FilterResult, Not, Or
from bot.core.filters.callback_data import CallbackData, CallbackDataFilter
from bot.core.filters.exception import ExceptionType
from bot.core.filters.payload import Payload
from bot.core.filters.state import StateFilter
from bot.core.filters.text import Text

__all__ = [
    "And",
    "CallbackData",
    "CallbackDataFilter",
    "ExceptionType",
    "Filter",
    "FilterResult",
    "Not",
    "Or",
    "Payload",
    "StateFilter",
    "Text",
]
