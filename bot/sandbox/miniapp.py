"""A Mini App session for the test user, so the page can call the real `/api/v1` routes.

In production `POST /api/v1/session` checks a Zalo access token; the sandbox has none, so
the server itself finds or creates the member (identity kind `miniapp`, value prefixed
`sandbox-`) and issues an ordinary session token with the Mini App API's own function. The
member is also linked to the test user's chat identity, so the card shows what the same
person won in the chat (and the chat sees what they won in the Mini App).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.schema import Content
from bot.handlers.members import IDENTITY_KIND
from bot.sandbox.inputs import TestUser
from bot.settings import Settings
from loyalty import members

IDENTITY = "miniapp"
PREFIX = "sandbox-"


@dataclass(frozen=True, slots=True)
class SandboxSession:
    token: str
    expires_in: int
    member_code: str


def identity_value(user: TestUser) -> str:
    return f"{PREFIX}{user.channel}-{user.user_id}"


async def open_session(settings: Settings, content: Content, user: TestUser) -> SandboxSession:
    # Imported here: the Mini App API is an optional part of the build.
    from miniapp_api.auth import issue_session

    name = user.name or None
    config = content.loyalty
    member = await members.get_or_create_by_identity(IDENTITY, identity_value(user), name=name)
    member = await members.link_identity(
        member, IDENTITY_KIND[user.channel], user.user_id, config=config
    )
    if name and not member.name:
        member = await members.set_name(member, name)
    token, _ = issue_session(settings, member.id)
    return SandboxSession(
        token=token,
        expires_in=settings.SESSION_TTL_SECONDS,
        member_code=member.member_code,
    )
