"""`chat`: one object carrying what every product flow needs for the event at hand.

Handlers could ask for `event`, `reply`, `content`, `channel`, `services` and `state` one by
one, but the flows call each other (a keyword opens the card, a button asks for the phone),
so they pass a single `Chat` around instead. The person's name is looked up once per event,
and only when a text actually uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from bot.content.schema import Content
from bot.core.events import Event
from bot.core.fsm import FSMContext
from bot.core.messages import OutboundMessage
from bot.core.middlewares import BaseMiddleware, NextHandler
from bot.handlers import members
from bot.handlers.services import Services

if TYPE_CHECKING:
    from bot.contracts.channel import Channel

_UNKNOWN: Any = object()


@dataclass(slots=True, eq=False)
class Chat:
    """The event being handled and the services to answer it."""

    event: Event
    content: Content
    channel: Channel
    services: Services
    state: FSMContext
    data: dict[str, Any]  # the dispatcher's data, for re-routing to other routers
    _name: Any = field(default=_UNKNOWN, repr=False)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Chat:
        return cls(
            event=data["event"],
            content=data["content"],
            channel=data["channel"],
            services=data["services"],
            state=data["state"],
            data=data,
        )

    async def send(self, *messages: OutboundMessage) -> None:
        """Queue messages to this person, in order (the outbox sends them)."""
        if messages:
            await self.data["reply"](*messages)

    async def name(self) -> str | None:
        """The person's display name from the platform profile (cached), or None."""
        if self._name is _UNKNOWN:
            self._name = await members.display_name(self.event, self.channel)
        name: str | None = self._name
        return name

    async def render(self, template: str, **variables: Any) -> str:
        """A content text with `{name}` and `{shop}` filled in."""
        if "name" not in variables and "name" in template:
            variables["name"] = await self.name()
        return self.content.render(template, **variables)

    async def text(self, key: str, **variables: Any) -> str:
        """`texts.<key>` from the content file, rendered."""
        return await self.render(getattr(self.content.texts, key), **variables)


class ChatMiddleware(BaseMiddleware):
    """Inner middleware: builds `chat` once a handler of the product routers matched."""

    provides: ClassVar[tuple[str, ...]] = ("chat",)

    async def __call__(self, handler: NextHandler, event: Event, data: dict[str, Any]) -> Any:
        if not isinstance(data.get("chat"), Chat) or data["chat"].event is not event:
            data["chat"] = Chat.from_data(data)
        return await handler(event, data)
