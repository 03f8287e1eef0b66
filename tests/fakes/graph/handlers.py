"""The Graph endpoints the bot uses, as methods over `GraphState`.

Each takes a parsed `Call` (page already authenticated) and returns the JSON answer or raises
`GraphError`.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from .errors import GraphError, bad_param, unsupported
from .profile_rules import check_delete, check_menu, check_post, field_list
from .send_rules import MEDIA_TYPES, check_send, http_url, obj, window_error
from .state import Attachment, Call, GraphState, Sent

UPLOAD_MAX = 25 * 1024 * 1024
USER_FIELDS = frozenset(
    {"id", "name", "first_name", "last_name", "profile_pic", "locale", "timezone", "gender"}
)
DEFAULT_USER_FIELDS = "first_name,last_name,profile_pic"
WEBHOOK_FIELDS = frozenset(
    {
        "messages",
        "messaging_postbacks",
        "messaging_optins",
        "messaging_referrals",
        "message_deliveries",
        "message_reads",
        "message_echoes",
        "message_reactions",
        "message_edits",
        "messaging_handovers",
        "standby",
        "messaging_policy_enforcement",
        "messaging_account_linking",
        "messaging_feedback",
        "messaging_game_plays",
        "feed",
    }
)


def _names(value: Any, name: str) -> list[str]:
    """A list parameter sent as a JSON array or as `a,b,c`."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise bad_param(f"param {name} is required: a list of names")
    return value


class GraphHandlers(GraphState):
    page_id: str
    page_names: dict[str, str]
    app_id: str
    menu_item_cap: int
    profile_rate_limit: int | None
    profile_rate_window: float
    profile_rate_code: int
    attachment_ttl: float

    def _init_handlers(self) -> None:
        self.profile_calls: dict[str, list[float]] = {}

    def _after_send(self, sent: Sent) -> None:
        """Hook: the server emits echo/delivery webhooks from here when asked to."""

    # -- attachments ---------------------------------------------------------------------
    def register_attachment(self, kind: str = "image", *, url: str | None = None) -> str:
        """An attachment id the fake will accept (as if uploaded earlier)."""
        aid = str(10**15 + secrets.randbelow(9 * 10**15))
        self.attachments[aid] = Attachment(aid, kind, self.clock(), url=url)
        return aid

    def _known_attachment(self, aid: str) -> None:
        att = self.attachments.get(aid)
        if att is None or self.clock() - att.created > self.attachment_ttl:
            raise bad_param(f"attachment_id {aid} is invalid or expired (ids last 90 days)")

    async def api_upload(self, call: Call) -> dict[str, Any]:
        message = obj(call.params.get("message"), "message")
        att = obj(message.get("attachment"), "message[attachment]")
        kind = att.get("type")
        if kind not in MEDIA_TYPES:
            raise bad_param(
                f"param message[attachment][type] must be one of {sorted(MEDIA_TYPES)}"
            )
        payload = obj(att.get("payload"), "message[attachment][payload]")
        # Our reading: the upload API exists for reusable assets and every sample sends it.
        if payload.get("is_reusable") is not True:
            raise bad_param("param message[attachment][payload][is_reusable] must be true")
        file = call.files.get("filedata")
        if (file is None) == (payload.get("url") is None):
            raise bad_param("upload needs exactly one of payload.url or a `filedata` file part")
        url = http_url(payload, "url", "payload", required=False)
        if file is not None:
            _, content_type, data = file
            if not data or len(data) > UPLOAD_MAX:
                raise bad_param(f"filedata must be 1 byte to 25 MB (got {len(data)})")
            major = (content_type or "").split("/")[0]
            if kind != "file" and content_type and major != kind:
                raise bad_param(f"filedata of type {content_type} is not a valid {kind}")
        aid = self.register_attachment(kind, url=url)
        if file is not None:
            stored = self.attachments[aid]
            stored.filename, stored.content_type, stored.size = file[0], file[1], len(file[2])
        return {"attachment_id": aid}

    # -- Send API --------------------------------------------------------------------------
    async def api_send(self, call: Call) -> dict[str, Any]:
        plan = check_send(call.params)
        for aid in plan.attachment_ids:
            self._known_attachment(aid)
        now = self.clock()
        psid: str | None = None
        if plan.recipient_key == "id":
            user = self.users.get(plan.recipient)
            if user is None:
                raise GraphError(100, subcode=2018001)
            if user.blocked:
                raise GraphError(551, subcode=1545041)
            if plan.messaging_type == "UTILITY":
                self._check_utility(call.params["message"]["template"])
            # Sender actions are held to the window too (our reading: they are sends).
            error = window_error(user.last_inbound, now, plan.messaging_type, plan.tag)
            if error is not None:
                raise error
            psid = user.psid
        # user_ref / token recipients are accepted as-is: the fake cannot model their state.
        message_id = None if "sender_action" in call.params else f"m_{uuid.uuid4().hex}"
        sent = Sent(psid, call.params, call.page_id, message_id, now)
        self.sent.append(sent)
        result: dict[str, Any] = {}
        if psid is not None:
            result["recipient_id"] = psid
        if message_id is not None:
            result["message_id"] = message_id
            payload = ((call.params["message"].get("attachment") or {}).get("payload")) or {}
            if payload.get("url") and payload.get("is_reusable") is True:
                kind = call.params["message"]["attachment"]["type"]
                result["attachment_id"] = self.register_attachment(kind, url=payload["url"])
        self._after_send(sent)
        return result

    def _check_utility(self, template: dict[str, Any]) -> None:
        """The Page's template, its language and its body parameters. Our reading of the
        errors (Meta's page does not list them): no permission → 10, unknown template,
        wrong language or parameters → 100 with a message naming the problem."""
        if not self.utility_permission:
            raise GraphError(10, "(#10) The app needs page_utility_messaging to send this")
        name = str(template["name"])
        spec = self.utility_templates.get(name)
        if spec is None:
            raise bad_param(f"Template name {name!r} does not exist or is not approved")
        code = template["language"]["code"]
        if code != spec.language:
            raise bad_param(f"Template {name!r} does not exist in language {code!r}")
        body = [c for c in template.get("components", []) if c.get("type") == "body"]
        params = body[0].get("parameters", []) if body else []
        if spec.names:
            got = tuple(str(p.get("parameter_name", "")) for p in params)
            if sorted(got) != sorted(spec.names):
                raise bad_param(f"Template {name!r} needs named parameters {list(spec.names)}")
        elif len(params) != spec.count or any("parameter_name" in p for p in params):
            raise bad_param(
                f"Number of parameters ({len(params)}) does not match the expected number of "
                f"params ({spec.count}) of template {name!r}"
            )

    # -- Messenger Profile API ------------------------------------------------------------
    def _profile_rate(self, page: str) -> None:
        """Optional 10-calls-per-10-minutes style limit per Page."""
        if self.profile_rate_limit is None:
            return
        now = self.clock()
        calls = [t for t in self.profile_calls.get(page, []) if now - t < self.profile_rate_window]
        if len(calls) >= self.profile_rate_limit:
            raise GraphError(self.profile_rate_code)
        calls.append(now)
        self.profile_calls[page] = calls

    async def api_profile(self, call: Call) -> dict[str, Any]:
        self._profile_rate(call.page_id)
        current = self.profiles.setdefault(call.page_id, {})
        if call.method == "GET":
            fields = field_list(call.params.get("fields"))
            data = {f: current[f] for f in fields if f in current}
            return {"data": [data] if data else []}
        if call.method == "POST":
            current.update(check_post(current, call.params, item_cap=self.menu_item_cap))
            return {"result": "success"}
        fields = field_list(call.params.get("fields"))
        check_delete(current, fields)
        for f in fields:
            current.pop(f, None)
        return {"result": "success"}

    async def api_custom_user_settings(self, call: Call) -> dict[str, Any]:
        """Per-person persistent menu (`/me/custom_user_settings`)."""
        psid = str(call.params.get("psid") or "")
        if psid not in self.users:
            raise GraphError(100, subcode=2018001)
        key = (call.page_id, psid)
        page_profile = self.profiles.get(call.page_id, {})
        if call.method == "GET":
            data: dict[str, Any] = {}
            if key in self.user_settings:
                data["user_level_persistent_menu"] = self.user_settings[key]
            if "persistent_menu" in page_profile:
                data["page_level_persistent_menu"] = page_profile["persistent_menu"]
            return {"data": [data] if data else []}
        if call.method == "POST":
            extra = set(call.params) - {"psid", "persistent_menu"}
            if extra:
                raise bad_param(f"unknown custom_user_settings param(s): {sorted(extra)}")
            if "get_started" not in page_profile:
                raise bad_param("custom_user_settings requires the Page's get_started to be set")
            check_menu(call.params.get("persistent_menu"), item_cap=self.menu_item_cap)
            self.user_settings[key] = call.params["persistent_menu"]
            return {"result": "success"}
        if "persistent_menu" not in _names(call.params.get("params"), "params"):
            raise bad_param('param params must be ["persistent_menu"]')
        self.user_settings.pop(key, None)
        return {"result": "success"}

    # -- Page subscription and handover ----------------------------------------------------
    async def api_subscribed_apps(self, call: Call) -> dict[str, Any]:
        if call.method == "GET":
            fields = self.subscriptions.get(call.page_id)
            app = {"id": self.app_id, "name": "Fake App", "subscribed_fields": fields}
            return {"data": [app] if fields else []}
        if call.method == "DELETE":
            self.subscriptions.pop(call.page_id, None)
            return {"success": True}
        fields = _names(call.params.get("subscribed_fields"), "subscribed_fields")
        unknown = set(fields) - WEBHOOK_FIELDS
        if unknown:
            raise bad_param(f"unknown subscribed_fields: {sorted(unknown)}")
        self.subscriptions[call.page_id] = fields
        return {"success": True}

    async def api_thread_control(self, call: Call) -> dict[str, Any]:
        recipient = obj(call.params.get("recipient"), "recipient")
        if str(recipient.get("id")) not in self.users:
            raise GraphError(100, subcode=2018001)
        if call.edge == "pass_thread_control" and not call.params.get("target_app_id"):
            raise bad_param("param target_app_id is required")
        self.thread_control.append((call.edge or "", dict(call.params)))
        return {"success": True}

    # -- nodes -----------------------------------------------------------------------------
    async def api_node(self, call: Call) -> dict[str, Any]:
        """GET /me (the Page) or GET /{psid}?fields=… (User Profile API)."""
        if call.node in ("me", call.page_id):
            return {"id": call.page_id, "name": self.page_names.get(call.page_id, "")}
        user = self.users.get(call.node)
        if user is None:
            raise unsupported(call.method, call.node)
        fields = _names(call.params.get("fields") or DEFAULT_USER_FIELDS, "fields")
        unknown = set(fields) - USER_FIELDS
        if unknown:
            raise bad_param(f"Tried accessing nonexisting field(s) {sorted(unknown)} on User")
        if not user.profile_access:
            raise GraphError(100, subcode=2018218)
        values = {
            "id": user.psid,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "profile_pic": user.profile_pic,
            "locale": user.locale,
            "timezone": user.timezone,
            "gender": user.gender,
        }
        out = {f: values[f] for f in fields if values[f] is not None}
        out["id"] = user.psid
        return out
