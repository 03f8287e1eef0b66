"""Send API body rules (messenger.md §2): structure, enums and size limits.

Every rule violation is code 100 with a message naming the parameter, so a failing test says
which limit the renderer broke. Where Meta's docs are vague the fake takes the stricter reading
(noted inline): a client that passes here should pass against the real API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import GraphError, bad_param

MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY"})
TAGS_ANY_TIME = frozenset({"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
TAGS_SEVEN_DAYS = frozenset({"HUMAN_AGENT", "CUSTOMER_FEEDBACK"})
SENDER_ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen", "react", "unreact"})
NOTIFICATION_TYPES = frozenset({"REGULAR", "SILENT_PUSH", "NO_PUSH"})
MEDIA_TYPES = frozenset({"image", "audio", "video", "file"})
QUICK_REPLY_TYPES = frozenset({"text", "user_phone_number", "user_email"})
RECIPIENT_KEYS = (
    "id",
    "user_ref",
    "notification_messages_token",
    "one_time_notif_token",
    "comment_id",
    "post_id",
)
WEBVIEW_RATIOS = frozenset({"compact", "tall", "full"})
SEND_PARAMS = frozenset(
    {
        "recipient",
        "messaging_type",
        "message",
        "sender_action",
        "notification_type",
        "tag",
        "persona_id",
        "payload",
    }
)

TEXT_MAX = 2000
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
PAYLOAD_MAX = 1000
METADATA_MAX = 1000
BUTTON_TITLE_MAX = 20
BUTTON_TEXT_MAX = 640
GENERIC_ELEMENTS_MAX = 10
ELEMENT_TITLE_MAX = 80
BUTTONS_MAX = 3


@dataclass
class SendPlan:
    """What the handler needs after the body passed the rules."""

    recipient_key: str
    recipient: str
    messaging_type: str
    tag: str | None
    attachment_ids: list[str] = field(default_factory=list)  # referenced, must exist


def obj(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_param(f"param {name} must be a JSON object")
    return value


def text_field(
    o: dict[str, Any], key: str, name: str, *, max_len: int, required: bool = True
) -> str | None:
    """A string field with a length limit; counts code points (Vietnamese is all BMP)."""
    value = o.get(key)
    if value is None:
        if required:
            raise bad_param(f"param {name}[{key}] is required")
        return None
    if not isinstance(value, str):
        raise bad_param(f"param {name}[{key}] must be a string")
    if required and not value:
        raise bad_param(f"param {name}[{key}] must be non-empty")
    if len(value) > max_len:
        raise bad_param(
            f"param {name}[{key}] must be at most {max_len} characters long (got {len(value)})"
        )
    return value


def list_field(
    o: dict[str, Any], key: str, name: str, *, max_items: int, min_items: int = 0
) -> list[Any]:
    value = o.get(key, [] if min_items == 0 else None)
    if not isinstance(value, list):
        raise bad_param(f"param {name}[{key}] must be an array")
    if len(value) < min_items:
        raise bad_param(f"param {name}[{key}] must have at least {min_items} item(s)")
    if len(value) > max_items:
        raise bad_param(
            f"param {name}[{key}] must have at most {max_items} items (got {len(value)})"
        )
    return value


def http_url(o: dict[str, Any], key: str, name: str, *, required: bool = True) -> str | None:
    value = text_field(o, key, name, max_len=4096, required=required)
    if value is not None and not value.startswith(("http://", "https://")):
        raise bad_param(f"param {name}[{key}] must be an http(s) URL")
    return value


def check_button(
    b: Any, name: str, *, title_max: int = BUTTON_TITLE_MAX, types: frozenset[str] | None = None
) -> None:
    """postback / web_url / phone_number buttons (and persistent-menu items via `types`)."""
    b = obj(b, name)
    kind = b.get("type")
    allowed = types or frozenset({"postback", "web_url", "phone_number"})
    if kind == "nested":
        raise bad_param(f"{name}: nested menus are no longer supported (removed in v8.0)")
    if kind not in allowed:
        raise bad_param(f"param {name}[type] must be one of {sorted(allowed)}, got {kind!r}")
    text_field(b, "title", name, max_len=title_max)
    if kind == "postback":
        text_field(b, "payload", name, max_len=PAYLOAD_MAX)
    elif kind == "phone_number":
        number = text_field(b, "payload", name, max_len=PAYLOAD_MAX) or ""
        if not number.startswith("+"):
            raise bad_param(f"param {name}[payload] must be a phone number starting with +")
    else:
        http_url(b, "url", name)
        ratio = b.get("webview_height_ratio")
        if ratio is not None and ratio not in WEBVIEW_RATIOS:
            raise bad_param(f"param {name}[webview_height_ratio] must be compact, tall or full")
        share = b.get("webview_share_button")
        if share is not None and share != "hide":
            raise bad_param(f'param {name}[webview_share_button] can only be "hide"')


def check_buttons(o: dict[str, Any], name: str, *, min_items: int = 0) -> None:
    for i, b in enumerate(
        list_field(o, "buttons", name, max_items=BUTTONS_MAX, min_items=min_items)
    ):
        check_button(b, f"{name}[buttons][{i}]")


def check_quick_reply(q: Any, name: str) -> None:
    q = obj(q, name)
    kind = q.get("content_type")
    if kind not in QUICK_REPLY_TYPES:
        raise bad_param(
            f"param {name}[content_type] must be one of {sorted(QUICK_REPLY_TYPES)}, got {kind!r}"
        )
    if kind != "text":
        return
    text_field(q, "title", name, max_len=QUICK_REPLY_TITLE_MAX)
    has_image = http_url(q, "image_url", name, required=False) is not None
    # payload may be "" only when an image is shown; otherwise it is required.
    text_field(q, "payload", name, max_len=PAYLOAD_MAX, required=not has_image)


def check_media_payload(p: dict[str, Any], name: str) -> list[str]:
    has_url, has_id = p.get("url") is not None, p.get("attachment_id") is not None
    if has_url == has_id:
        raise bad_param(f"param {name} needs exactly one of url or attachment_id")
    if has_url:
        http_url(p, "url", name)
        if "is_reusable" in p and not isinstance(p["is_reusable"], bool):
            raise bad_param(f"param {name}[is_reusable] must be a boolean")
        return []
    return [str(p["attachment_id"])]


def check_generic(p: dict[str, Any], name: str) -> list[str]:
    ratio = p.get("image_aspect_ratio")
    if ratio is not None and ratio not in ("horizontal", "square"):
        raise bad_param(f"param {name}[image_aspect_ratio] must be horizontal or square")
    elements = list_field(p, "elements", name, max_items=GENERIC_ELEMENTS_MAX, min_items=1)
    for i, e in enumerate(elements):
        ename = f"{name}[elements][{i}]"
        e = obj(e, ename)
        text_field(e, "title", ename, max_len=ELEMENT_TITLE_MAX)
        text_field(e, "subtitle", ename, max_len=ELEMENT_TITLE_MAX, required=False)
        http_url(e, "image_url", ename, required=False)
        if e.get("default_action") is not None:
            action = obj(e["default_action"], f"{ename}[default_action]")
            if action.get("type") != "web_url" or "title" in action:
                raise bad_param(f"{ename}[default_action] must be a web_url button without title")
            http_url(action, "url", f"{ename}[default_action]")
        check_buttons(e, ename)
        if not any(e.get(k) for k in ("subtitle", "image_url", "default_action", "buttons")):
            raise bad_param(f"{ename} needs a title and at least one other field")
    return []


def check_template(p: dict[str, Any], name: str) -> list[str]:
    kind = p.get("template_type")
    if kind == "generic":
        return check_generic(p, name)
    if kind == "button":
        text_field(p, "text", name, max_len=BUTTON_TEXT_MAX)
        check_buttons(p, name, min_items=1)
        return []
    if kind == "media":
        ids: list[str] = []
        for i, e in enumerate(list_field(p, "elements", name, max_items=1, min_items=1)):
            ename = f"{name}[elements][{i}]"
            e = obj(e, ename)
            if e.get("media_type") not in ("image", "video"):
                raise bad_param(f"param {ename}[media_type] must be image or video")
            ids += check_media_payload(e, ename)
            check_buttons(e, ename)  # ≤3: the usual button cap; Meta's page is unclear
        return ids
    # Other templates exist upstream (receipt, customer_feedback, ...); the fake refuses them
    # rather than accepting them unchecked. Extend here when the bot starts using one.
    raise bad_param(f"template_type {kind!r} is not supported by the fake Graph API")


def check_utility(m: Any) -> dict[str, Any]:
    """A utility message: `message.template{name, language{code}, components}` and nothing
    else (our reading of Meta's 2026 page: no text, attachment or quick replies beside it)."""
    m = obj(m, "message")
    if set(m) != {"template"}:
        raise bad_param("messaging_type UTILITY needs message.template and nothing else")
    t = obj(m["template"], "message[template]")
    unknown = set(t) - {"name", "language", "components"}
    if unknown:
        raise bad_param(f"unknown param(s) in message[template]: {sorted(unknown)}")
    text_field(t, "name", "message[template]", max_len=512)
    text_field(
        obj(t.get("language"), "message[template][language]"), "code", "language", max_len=8
    )
    for i, c in enumerate(list_field(t, "components", "message[template]", max_items=10)):
        cname = f"message[template][components][{i}]"
        c = obj(c, cname)
        if c.get("type") not in ("header", "body", "buttons"):
            raise bad_param(f"param {cname}[type] must be header, body or buttons")
        for j, p in enumerate(list_field(c, "parameters", cname, max_items=20)):
            pname = f"{cname}[parameters][{j}]"
            p = obj(p, pname)
            if c["type"] != "buttons":
                if p.get("type") != "text":
                    raise bad_param(f"param {pname}[type] must be text")
                text_field(p, "text", pname, max_len=1024)
    return t


def check_message(m: Any) -> list[str]:
    """Validate `message`; returns attachment ids it references."""
    m = obj(m, "message")
    if "template" in m:
        raise bad_param("message.template is only allowed with messaging_type UTILITY")
    unknown = set(m) - {"text", "attachment", "quick_replies", "metadata"}
    if unknown:
        raise bad_param(f"unknown param(s) in message: {sorted(unknown)}")
    if ("text" in m) == ("attachment" in m):
        raise bad_param("message must contain exactly one of text or attachment")
    text_field(m, "metadata", "message", max_len=METADATA_MAX, required=False)
    for i, q in enumerate(
        list_field(m, "quick_replies", "message", max_items=QUICK_REPLIES_MAX, min_items=0)
    ):
        check_quick_reply(q, f"message[quick_replies][{i}]")
    if "text" in m:
        text_field(m, "text", "message", max_len=TEXT_MAX)
        return []
    att = obj(m["attachment"], "message[attachment]")
    kind = att.get("type")
    payload = obj(att.get("payload"), "message[attachment][payload]")
    if kind in MEDIA_TYPES:
        return check_media_payload(payload, "message[attachment][payload]")
    if kind == "template":
        return check_template(payload, "message[attachment][payload]")
    raise bad_param(f"param message[attachment][type] is invalid: {kind!r}")


def check_sender_action(action: Any, params: dict[str, Any]) -> None:
    if action not in SENDER_ACTIONS:
        raise bad_param(f"param sender_action must be one of {sorted(SENDER_ACTIONS)}")
    if action in ("react", "unreact"):
        payload = obj(params.get("payload"), "payload")
        text_field(payload, "message_id", "payload", max_len=256)
        if action == "react":
            text_field(payload, "reaction", "payload", max_len=64)


def check_send(params: dict[str, Any]) -> SendPlan:
    """Everything about a Send API body that does not depend on stored state."""
    # Our reading: unknown top-level params are refused (a misplaced `metadata` is a bug).
    unknown = set(params) - SEND_PARAMS
    if unknown:
        raise bad_param(f"unknown Send API param(s): {sorted(unknown)}")
    recipient = obj(params.get("recipient"), "recipient")
    keys = [k for k in RECIPIENT_KEYS if recipient.get(k) not in (None, "")]
    if len(keys) != 1 or set(recipient) - set(RECIPIENT_KEYS):
        raise bad_param(f"param recipient must have exactly one of {list(RECIPIENT_KEYS)}")
    has_message, has_action = "message" in params, "sender_action" in params
    if has_message and has_action:
        raise bad_param("Cannot send both message and state at the same time.")
    if not has_message and not has_action:
        raise bad_param("param message or sender_action is required")
    # messaging_type is required for messages; sender actions are documented without it.
    messaging_type = params.get("messaging_type")
    if messaging_type is None and has_message:
        raise bad_param("param messaging_type is required (RESPONSE, UPDATE or MESSAGE_TAG)")
    messaging_type = messaging_type or "RESPONSE"
    if messaging_type not in MESSAGING_TYPES:
        raise bad_param(f"param messaging_type must be one of {sorted(MESSAGING_TYPES)}")
    tag = params.get("tag")
    if messaging_type == "MESSAGE_TAG":
        if tag not in TAGS_ANY_TIME | TAGS_SEVEN_DAYS:
            allowed = sorted(TAGS_ANY_TIME | TAGS_SEVEN_DAYS)
            raise bad_param(f"param tag must be one of {allowed} with MESSAGE_TAG, got {tag!r}")
    elif tag is not None:
        # Our reading: a tag only means something with MESSAGE_TAG; refuse rather than ignore.
        raise bad_param("param tag is only allowed with messaging_type MESSAGE_TAG")
    notification = params.get("notification_type")
    if notification is not None and notification not in NOTIFICATION_TYPES:
        raise bad_param(f"param notification_type must be one of {sorted(NOTIFICATION_TYPES)}")
    ids: list[str] = []
    if has_message and messaging_type == "UTILITY":
        check_utility(params["message"])
    elif has_message:
        ids = check_message(params["message"])
    else:
        check_sender_action(params["sender_action"], params)
    return SendPlan(keys[0], str(recipient[keys[0]]), messaging_type, tag, ids)


def window_error(
    last_inbound: float | None, now: float, messaging_type: str, tag: str | None
) -> GraphError | None:
    """The 24 h standard window, 7 days for HUMAN_AGENT/CUSTOMER_FEEDBACK, none for tagged
    updates and utility templates; outside it every other send is 10 / 2018278."""
    age = float("inf") if last_inbound is None else now - last_inbound
    if messaging_type == "UTILITY":  # an approved template: any time (checked by the caller)
        return None
    if messaging_type == "MESSAGE_TAG" and tag in TAGS_ANY_TIME:
        return None
    limit = 7 * 24 * 3600 if messaging_type == "MESSAGE_TAG" else 24 * 3600
    return GraphError(10, subcode=2018278) if age > limit else None
