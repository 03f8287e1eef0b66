"""Messenger Profile API rules (messenger.md §3): greeting, Get Started, menu, ice breakers."""

from __future__ import annotations

from typing import Any

from .errors import bad_param
from .send_rules import PAYLOAD_MAX, check_button, list_field, obj, text_field

PROFILE_FIELDS = frozenset(
    {
        "get_started",
        "greeting",
        "persistent_menu",
        "ice_breakers",
        "whitelisted_domains",
        "account_linking_url",
    }
)
GREETING_MAX = 160
MENU_TITLE_MAX = 30
ICE_BREAKERS_MAX = 4
DOMAINS_MAX = 50
MENU_ITEM_TYPES = frozenset({"postback", "web_url"})


def _by_locale(items: list[Any], name: str) -> list[dict[str, Any]]:
    """Locale-keyed lists: `default` is mandatory and locales are unique."""
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        item = obj(item, f"{name}[{i}]")
        locale = text_field(item, "locale", f"{name}[{i}]", max_len=16) or ""
        if locale in seen:
            raise bad_param(f"{name}: locale {locale!r} appears twice")
        seen.add(locale)
        out.append(item)
    if "default" not in seen:
        raise bad_param(f"{name} must include an entry with locale 'default'")
    return out


def check_greeting(value: Any) -> None:
    items = value if isinstance(value, list) else None
    if not items:
        raise bad_param("param greeting must be a non-empty array")
    for i, g in enumerate(_by_locale(items, "greeting")):
        text_field(g, "text", f"greeting[{i}]", max_len=GREETING_MAX)


def check_get_started(value: Any) -> None:
    text_field(obj(value, "get_started"), "payload", "get_started", max_len=PAYLOAD_MAX)


def check_menu(value: Any, *, item_cap: int, name: str = "persistent_menu") -> None:
    """Items are postback/web_url, title ≤30; the cap is 20 in current docs (3 in older)."""
    items = value if isinstance(value, list) else None
    if not items:
        raise bad_param(f"param {name} must be a non-empty array")
    for i, menu in enumerate(_by_locale(items, name)):
        mname = f"{name}[{i}]"
        disabled = menu.get("composer_input_disabled", False)
        if not isinstance(disabled, bool):
            raise bad_param(f"param {mname}[composer_input_disabled] must be a boolean")
        actions = list_field(menu, "call_to_actions", mname, max_items=item_cap, min_items=1)
        for j, item in enumerate(actions):
            check_button(
                item,
                f"{mname}[call_to_actions][{j}]",
                title_max=MENU_TITLE_MAX,
                types=MENU_ITEM_TYPES,
            )


def check_ice_breakers(value: Any) -> None:
    """Only the locale form is accepted; the older flat list is deprecated upstream."""
    items = value if isinstance(value, list) else None
    if not items:
        raise bad_param("param ice_breakers must be a non-empty array")
    if any(isinstance(x, dict) and "question" in x for x in items):
        raise bad_param("ice_breakers must be [{call_to_actions: [...], locale}], not a flat list")
    for i, block in enumerate(_by_locale(items, "ice_breakers")):
        bname = f"ice_breakers[{i}]"
        questions = list_field(
            block, "call_to_actions", bname, max_items=ICE_BREAKERS_MAX, min_items=1
        )
        for j, q in enumerate(questions):
            qname = f"{bname}[call_to_actions][{j}]"
            q = obj(q, qname)
            text_field(q, "question", qname, max_len=80)
            text_field(q, "payload", qname, max_len=PAYLOAD_MAX)


def check_domains(value: Any) -> None:
    if not isinstance(value, list) or not value or len(value) > DOMAINS_MAX:
        raise bad_param(f"param whitelisted_domains must be an array of 1..{DOMAINS_MAX} URLs")
    for d in value:
        if not isinstance(d, str) or not d.startswith("https://"):
            raise bad_param(f"whitelisted_domains: {d!r} is not an https:// URL")


def check_post(
    current: dict[str, Any], params: dict[str, Any], *, item_cap: int
) -> dict[str, Any]:
    """Validate a POST and return the properties to store."""
    unknown = set(params) - PROFILE_FIELDS
    if unknown:
        raise bad_param(f"unknown messenger_profile field(s): {sorted(unknown)}")
    if not params:
        raise bad_param("at least one messenger_profile field is required")
    if "get_started" in params:
        check_get_started(params["get_started"])
    if "greeting" in params:
        check_greeting(params["greeting"])
    if "persistent_menu" in params:
        if "get_started" not in params and "get_started" not in current:
            raise bad_param("persistent_menu requires get_started to be set first")
        check_menu(params["persistent_menu"], item_cap=item_cap)
    if "ice_breakers" in params:
        check_ice_breakers(params["ice_breakers"])
    if "whitelisted_domains" in params:
        check_domains(params["whitelisted_domains"])
    if "account_linking_url" in params:
        url = params["account_linking_url"]
        if not isinstance(url, str) or not url.startswith("https://"):
            raise bad_param("param account_linking_url must be an https:// URL")
    return dict(params)


def field_list(value: Any, name: str = "fields") -> list[str]:
    """`fields` arrives as a JSON array or as `a,b,c`; names must be known."""
    if isinstance(value, str):
        value = [f.strip() for f in value.split(",") if f.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(f, str) for f in value):
        raise bad_param(f"param {name} is required: a list of messenger_profile fields")
    unknown = set(value) - PROFILE_FIELDS
    if unknown:
        raise bad_param(f"unknown messenger_profile field(s): {sorted(unknown)}")
    return value


def check_delete(current: dict[str, Any], fields: list[str]) -> None:
    # Our reading: Get Started cannot go while a menu depends on it, unless both go together.
    menu_stays = "persistent_menu" in current and "persistent_menu" not in fields
    if "get_started" in fields and menu_stays:
        raise bad_param("delete persistent_menu before (or with) get_started")
