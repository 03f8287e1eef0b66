"""Channel-neutral, aiogram-shaped core: routers, filters, middlewares, FSM.

Imports nothing from `bot.channels`: every flow written against this package works for Zalo
and Messenger alike.
"""

from bot.core.dispatcher import Dispatcher
from bot.core.exceptions import (
    CallbackDataError,
    CoreError,
    HandlerSignatureError,
    MissingInjectable,
    RouterInclusionError,
    SkipHandler,
)
from bot.core.filters import (
    CallbackData,
    ExceptionType,
    Filter,
    Payload,
    StateFilter,
    Text,
)
from bot.core.fsm import ANY_STATE, DEFAULT_STATE, FSMContext, State, StatesGroup
from bot.core.handler import UNHANDLED
from bot.core.middlewares import BaseMiddleware, NextHandler
from bot.core.router import Router
from bot.core.text import fold

__all__ = [
    "ANY_STATE",
    "DEFAULT_STATE",
    "UNHANDLED",
    "BaseMiddleware",
    "CallbackData",
    "CallbackDataError",
    "CoreError",
    "Dispatcher",
    "ExceptionType",
    "FSMContext",
    "Filter",
    "HandlerSignatureError",
    "MissingInjectable",
    "NextHandler",
    "Payload",
    "Router",
    "RouterInclusionError",
    "SkipHandler",
    "State",
    "StateFilter",
    "StatesGroup",
    "Text",
    "fold",
]
