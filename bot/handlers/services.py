"""`services`: what the product flows use besides the event, injected by the dispatcher.

Built once by the process that runs the handlers (`bot.runtime`) and handed to the
dispatcher as workflow data, as aiogram's `workflow_data` is. A test passes its own clock or
seeded RNG through `build_app(..., clock=..., rng=...)`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.backends.base import KeyValue
from bot.settings import Settings
from bot.web.media import Media
from loyalty.clock import utcnow


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    kv: KeyValue  # cooldowns
    media: Media  # rendered and published images
    clock: Callable[[], datetime] = utcnow  # an aware datetime
    rng: random.Random = field(default_factory=random.SystemRandom)  # draws: a CSPRNG

    def now(self) -> datetime:
        return self.clock()
