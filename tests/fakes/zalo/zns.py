"""business.openapi.zalo.me `POST /message/template`: ZNS by phone number (§5).

Checks run in the order a client would fix them: token, phone, template, params, quota.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.zalo.state import (
    E_NOT_FOLLOWER,
    E_PARAM,
    E_USER_BANNED,
    E_ZNS_PARAM_LONG,
    E_ZNS_PARAM_MISSING,
    E_ZNS_PHONE,
    E_ZNS_QUOTA,
    E_ZNS_TEMPLATE,
    E_ZNS_TOKEN,
    ZnsMessage,
    err,
    new_msg_id,
    ok,
)

if TYPE_CHECKING:
    from tests.fakes.zalo.core import FakeZalo

# 84 + 9 or 10 digits. The ZCLOUD doc also tolerates 0…; the fake takes only the
# international form the reference prefers.
PHONE = re.compile(r"^84\d{9,10}$")


def routes(fake: FakeZalo) -> list[web.RouteDef]:
    return Zns(fake).routes()


class Zns:
    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/message/template", self.send),
            web.post("/v3.0/oa/message/template", self.send_by_uid),
        ]

    async def send_by_uid(self, request: web.Request) -> web.Response:
        """ZBS by UID: the OA token, a known user, a template approved for UID, its params,
        the same daily quota. No tracking_id; answers `message_id` and the quota."""
        fake = self.fake
        if (bad := fake.check_access_token(request.headers.get("access_token"))) is not None:
            return bad
        try:
            body = json.loads(await request.read())
        except ValueError:
            return err(E_PARAM, "Body is not valid JSON")
        if not isinstance(body, dict):
            return err(E_PARAM, "Body must be a JSON object")
        user_id = str(body.get("user_id", ""))
        if user_id not in fake.users:
            return err(E_NOT_FOLLOWER, "User has not followed OA or does not exist")
        if fake.users[user_id].blocked:
            return err(E_USER_BANNED, "User is banned or has been inactive for too long")
        template_id = str(body.get("template_id", ""))
        params = fake.templates.get(template_id)
        if params is None or template_id not in fake.uid_templates:
            return err(E_ZNS_TEMPLATE, "Template is invalid or not approved for UID")
        data: Any = body.get("template_data")
        if not isinstance(data, dict):
            return err(E_ZNS_PARAM_MISSING, "template_data is missing")
        for name in params:
            if data.get(name) in (None, ""):
                return err(E_ZNS_PARAM_MISSING, f"Missing parameter: {name}")
        used = fake.zns_used_today()
        if used >= fake.zns_daily_quota:
            return err(E_ZNS_QUOTA, "Daily quota exceeded")
        item = ZnsMessage(
            phone=None,
            template_id=template_id,
            template_data=data,
            tracking_id=None,
            msg_id=new_msg_id(),
            sent_time=fake.now_ms(),
            mode=None,
            user_id=user_id,
        )
        fake.zns_sent.append(item)
        return ok(
            {
                "message_id": item.msg_id,
                "user_id": user_id,
                "quota": {
                    "quota_type": fake.uid_quota_type,
                    "remain": fake.zns_daily_quota - used - 1,
                },
            }
        )

    async def send(self, request: web.Request) -> web.Response:
        fake = self.fake
        if fake.check_access_token(request.headers.get("access_token")) is not None:
            return err(E_ZNS_TOKEN, "Access token is invalid")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return err(E_PARAM, "Body is not valid JSON")
        if not isinstance(body, dict):
            return err(E_PARAM, "Body must be a JSON object")
        phone = body.get("phone")
        if not isinstance(phone, str) or not PHONE.match(phone):
            return err(E_ZNS_PHONE, "Phone number is invalid")
        params = fake.templates.get(str(body.get("template_id", "")))
        if params is None:
            return err(E_ZNS_TEMPLATE, "Template is invalid")
        data: Any = body.get("template_data")
        if not isinstance(data, dict):
            return err(E_ZNS_PARAM_MISSING, "template_data is missing")
        for name, max_length in params.items():
            value = data.get(name)
            if value is None or value == "":
                return err(E_ZNS_PARAM_MISSING, f"Missing parameter: {name}")
            if max_length is not None and len(str(value)) > max_length:
                return err(E_ZNS_PARAM_LONG, f"Parameter {name} is longer than {max_length}")
        used = fake.zns_used_today()
        if used >= fake.zns_daily_quota:
            return err(E_ZNS_QUOTA, "Daily quota exceeded")
        item = ZnsMessage(
            phone=phone,
            template_id=str(body["template_id"]),
            template_data=data,
            tracking_id=body.get("tracking_id"),
            msg_id=new_msg_id(),
            sent_time=fake.now_ms(),
            mode=body.get("mode"),
        )
        fake.zns_sent.append(item)
        # Quota numbers as strings: the safer reading for clients (int() works on both).
        return ok(
            {
                "msg_id": item.msg_id,
                "sent_time": str(item.sent_time),
                "quota": {
                    "dailyQuota": str(fake.zns_daily_quota),
                    "remainingQuota": str(fake.zns_daily_quota - used - 1),
                },
            }
        )
