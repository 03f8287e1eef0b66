"""The two Zalo Graph calls a Mini App backend makes (shared/reference/zalo.md §6).

`GET /v2.0/me` checks the Mini App's access token and gives the app-scoped user id, which is
the only id we trust. `GET /v2.0/me/info` turns a one-time phone token into the number.
Credentials travel in headers, as the official SDKs send them. Graph answers errors with
HTTP 200 and a non-zero `error`, so the body decides, not the status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.apiclient.proof import appsecret_proof
from bot.settings import Settings
from bot.web.problems import ApiError

log = logging.getLogger("miniapp_api.zalo")
TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)
SESSION_ERRORS = {452, -216, -220, -1401}  # the access token itself is bad or expired


@dataclass(frozen=True, slots=True)
class ZaloProfile:
    id: str
    name: str | None
    picture: str | None


def _secret(settings: Settings) -> str:
    if not settings.ZALO_APP_SECRET:
        raise ApiError(
            503, "miniapp_not_configured", "set ZALO_APP_SECRET to accept Mini App sign-ins"
        )
    return settings.ZALO_APP_SECRET


async def _get(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], params: dict[str, str]
) -> dict[str, Any]:
    try:
        async with http.get(url, headers=headers, params=params, timeout=TIMEOUT) as resp:
            if resp.status >= 500:
                raise ApiError(503, "zalo_unavailable", f"Zalo Graph answered {resp.status}")
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                body = None
            if resp.status in (401, 403) and not isinstance(body, dict):
                body = {"error": 452, "message": f"HTTP {resp.status}"}
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("zalo graph unreachable: %s", exc)
        raise ApiError(503, "zalo_unavailable", "Zalo Graph cannot be reached") from None
    if not isinstance(body, dict):
        raise ApiError(503, "zalo_unavailable", "Zalo Graph answered something unexpected")
    return body


def _error(body: dict[str, Any]) -> int:
    try:
        return int(body.get("error") or 0)
    except (TypeError, ValueError):
        return -1


async def fetch_profile(
    http: aiohttp.ClientSession, settings: Settings, access_token: str
) -> ZaloProfile:
    """The user behind a Mini App access token; a refused token is a 401 problem."""
    secret = _secret(settings)
    body = await _get(
        http,
        f"{settings.ZALO_GRAPH_URL}/v2.0/me",
        {"access_token": access_token, "appsecret_proof": appsecret_proof(secret, access_token)},
        {"fields": "id,name,picture"},
    )
    user_id = str(body.get("id") or "").strip()
    if _error(body) != 0 or not user_id:
        message = str(body.get("message") or "token refused")[:200]
        raise ApiError(401, "invalid_zalo_token", f"Zalo refused the access token: {message}")
    picture = body.get("picture")
    url = None
    if isinstance(picture, dict) and isinstance(picture.get("data"), dict):
        url = picture["data"].get("url")
    name = body.get("name")
    return ZaloProfile(user_id, str(name)[:128] if name else None, url)


async def fetch_phone(
    http: aiohttp.ClientSession, settings: Settings, access_token: str, code: str
) -> str:
    """The raw phone number behind a getPhoneNumber token (valid once, for 2 minutes)."""
    secret = _secret(settings)
    body = await _get(
        http,
        f"{settings.ZALO_GRAPH_URL}/v2.0/me/info",
        {"access_token": access_token, "code": code, "secret_key": secret},
        {},
    )
    error = _error(body)
    message = str(body.get("message") or "")[:200]
    if error in SESSION_ERRORS:
        raise ApiError(
            401,
            "invalid_zalo_token",
            f"Zalo refused the access token ({message}): send a fresh access_token",
        )
    data = body.get("data")
    number = data.get("number") if isinstance(data, dict) else None
    if error != 0 or not number:
        raise ApiError(
            400,
            "phone_token_invalid",
            "the phone token is used, expired or not for this user: ask for it again "
            f"(Zalo: {message or error})",
        )
    return str(number)
