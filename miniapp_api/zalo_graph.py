"""The two Zalo Graph calls a Mini App backend makes, through the Zalo client's shape.

The typed methods (`bot/channels/zalo/methods/graph.py`) run on a `ZaloClient` over the
process's `SharedHttp`, with the same session, error mapping and credential rules as the
OA calls; this module only turns the outcomes into the API's problems (401 for a token Zalo
refused, 400 for a used phone token, 503 when Graph cannot be reached).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.apiclient.http import SharedHttp
from bot.apiclient.retry import RetryPolicy
from bot.channels.zalo.api_server import ZaloAPIServer
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.exceptions import (
    ZaloAPIError,
    ZaloError,
    ZaloHTTPError,
    ZaloNetworkError,
    ZaloTokenError,
)
from bot.channels.zalo.methods.graph import GetMiniAppUser, GetPhoneNumber
from bot.channels.zalo.session.aiohttp import AiohttpSession
from bot.settings import Settings
from bot.web.problems import ApiError

log = logging.getLogger("miniapp_api.zalo")
TIMEOUT_SECONDS = 10.0
SESSION_ERRORS = {452, -216, -220, -1401}  # the access token itself is bad or expired


@dataclass(frozen=True, slots=True)
class ZaloProfile:
    id: str
    name: str | None
    picture: str | None


def _client(http: SharedHttp, settings: Settings) -> ZaloClient:
    if not settings.ZALO_APP_SECRET:
        raise ApiError(
            503, "miniapp_not_configured", "set ZALO_APP_SECRET to accept Mini App sign-ins"
        )
    session = AiohttpSession(
        ZaloAPIServer.from_settings(settings), http=http, timeout=TIMEOUT_SECONDS
    )
    return ZaloClient(session, app_secret=settings.ZALO_APP_SECRET, retry=RetryPolicy(attempts=2))


def _token_refused(exc: ZaloError) -> bool:
    if isinstance(exc, ZaloTokenError):
        return True
    if isinstance(exc, ZaloHTTPError):
        return exc.status in (401, 403)
    return isinstance(exc, ZaloAPIError) and exc.code in SESSION_ERRORS


def _unavailable(exc: ZaloError) -> ApiError:
    log.warning("zalo graph unreachable: %s", exc)
    return ApiError(503, "zalo_unavailable", "Zalo Graph cannot be reached")


async def fetch_profile(http: SharedHttp, settings: Settings, access_token: str) -> ZaloProfile:
    """The user behind a Mini App access token; a refused token is a 401 problem."""
    client = _client(http, settings)
    try:
        user = await client(GetMiniAppUser(access_token=access_token))
    except ZaloNetworkError as exc:
        raise _unavailable(exc) from None
    except ZaloError as exc:
        message = getattr(exc, "message", "") or "token refused"
        raise ApiError(
            401, "invalid_zalo_token", f"Zalo refused the access token: {message[:200]}"
        ) from None
    user_id = user.id.strip()
    if not user_id:
        raise ApiError(401, "invalid_zalo_token", "Zalo refused the access token: no user")
    return ZaloProfile(user_id, user.name[:128] if user.name else None, user.picture_url)


async def fetch_phone(http: SharedHttp, settings: Settings, access_token: str, code: str) -> str:
    """The raw phone number behind a getPhoneNumber token (valid once, for 2 minutes)."""
    client = _client(http, settings)
    try:
        info = await client(GetPhoneNumber(access_token=access_token, code=code))
    except ZaloNetworkError as exc:
        raise _unavailable(exc) from None
    except ZaloError as exc:
        message = str(getattr(exc, "message", "") or exc)[:200]
        if _token_refused(exc):
            raise ApiError(
                401,
                "invalid_zalo_token",
                f"Zalo refused the access token ({message}): send a fresh access_token",
            ) from None
        raise ApiError(
            400,
            "phone_token_invalid",
            "the phone token is used, expired or not for this user: ask for it again "
            f"(Zalo: {message})",
        ) from None
    if not info.number:
        raise ApiError(
            400,
            "phone_token_invalid",
            "the phone token is used, expired or not for this user: ask for it again",
        )
    return info.number
