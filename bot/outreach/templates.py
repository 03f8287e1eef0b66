"""Platform template requests for the template routes of the delivery policy: a Zalo ZBS
template (`zns:`) or a Messenger utility template (`messenger_utility:`), filled with the
member's values. Both are looked up by the same name: a notice kind, or the template name a
broadcast gives (`message.zns_template`)."""

from __future__ import annotations

from typing import Any

from bot.channels.messenger.utility import utility_payload
from bot.content.outreach import TEMPLATE_VARS
from bot.content.schema import Content
from bot.outreach.policy import Decision
from loyalty.models import Member

MESSENGER_METHOD = "me/messages"
ZALO_ROUTES = ("zalo_zbs_uid", "zalo_zbs_phone")


def template_vars(content: Content, member: Member, **variables: Any) -> dict[str, Any]:
    """Every placeholder a template parameter may use (unknown ones are empty)."""
    values: dict[str, Any] = dict.fromkeys(TEMPLATE_VARS, "")
    values.update(
        name=member.name or content.texts.fallback_name,
        points=member.points_balance,
        balance=member.points_balance,
        tier=member.tier,
    )
    values.update(variables)
    return values


def template_request(
    content: Content,
    name: str | None,
    member: Member,
    d: Decision,
    *,
    tracking: str,
    **variables: Any,
) -> tuple[str, dict[str, Any]] | None:
    """The platform call (method, payload) for a template route, from the content file's
    mapping; None for the other routes (or when the mapping is gone)."""
    if not name:
        return None
    if d.route == "messenger_utility":
        return messenger_request(content, name, member, d, **variables)
    if d.route not in ZALO_ROUTES:
        return None
    spec = content.zns.templates.get(name)
    if spec is None:
        return None
    values = template_vars(content, member, **variables)
    data = {key: content.render(value, **values) for key, value in spec.params.items()}
    if d.route == "zalo_zbs_uid" and d.user_id:
        return "template/uid", {
            "user_id": d.user_id,
            "template_id": spec.template_id,
            "template_data": data,
        }
    if not member.phone:
        return None
    return "template/phone", {
        "phone": member.phone,
        "template_id": spec.template_id,
        "template_data": data,
        "tracking_id": tracking[:48],
    }


def messenger_request(
    content: Content, name: str, member: Member, d: Decision, **variables: Any
) -> tuple[str, dict[str, Any]] | None:
    """A Messenger utility template message (`bot.channels.messenger.utility`)."""
    spec = content.messenger_utility.templates.get(name)
    if spec is None or not d.user_id:
        return None
    values = template_vars(content, member, **variables)
    params: list[str] | dict[str, str]
    if isinstance(spec.params, dict):
        params = {k: content.render(v, **values) for k, v in spec.params.items()}
    else:
        params = [content.render(v, **values) for v in spec.params]
    return MESSENGER_METHOD, utility_payload(d.user_id, spec.name, spec.language, params)
