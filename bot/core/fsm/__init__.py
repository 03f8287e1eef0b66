from bot.core.fsm.context import FSMContext
from bot.core.fsm.middleware import FSMContextMiddleware, storage_key
from bot.core.fsm.state import ANY_STATE, DEFAULT_STATE, State, StatesGroup, state_name

__all__ = [
    "ANY_STATE",
    "DEFAULT_STATE",
    "FSMContext",
    "FSMContextMiddleware",
    "State",
    "StatesGroup",
    "state_name",
    "storage_key",
]
