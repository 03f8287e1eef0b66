"""The `outreach:` and `zns:` sections: the shop's rules for messages nobody asked for.

`outreach` holds the contract's policy keys (quiet hours, the weekly promotion cap, whether a
promotion may ride a Zalo consultation message) plus the confirmations of the opt-out words.
`zns` maps each transactional notice (and any template a broadcast names) to an approved Zalo
ZBS template: its id, its tag (1 transaction, 2 care, 3 promotion), whether it may go by UID
(templates approved on or after 2025-12-10) and how its parameters are filled.
`messenger_utility` does the same for the Page's approved Messenger utility templates, the
only way an `update` notice reaches a person outside Messenger's 24-hour window (message tags
are not used: ACCOUNT_UPDATE is reported deprecated, reference outreach.md §3).
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.content.errors import invalid
from bot.content.texts import Tpl

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
NOTICE_KINDS = (
    "points_earned",
    "tier_changed",
    "voucher_issued",
    "voucher_expiring",
    "order_received",
)
"""The transactional notices (`update` purpose) a template may be mapped for."""
TEMPLATE_VARS = frozenset(
    {"name", "shop", "points", "balance", "tier", "voucher_code", "voucher_value", "expires_at"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outreach(_Strict):
    quiet_hours: str = "21:00-08:00"  # Vietnam time; promotions wait until it ends
    max_promotions_per_week: int = Field(2, ge=0, le=50)
    # Unsure in the reference (zalo.md §2.4): off by default, see README "Outreach".
    zalo_promotions_in_cs_window: bool = False
    opt_out_reply: Tpl() = (
        "Bạn đã ngừng nhận tin khuyến mãi từ {shop}. Nhắn NHẬN TIN để nhận lại bất cứ lúc nào."
    )
    opt_in_reply: Tpl() = "Bạn sẽ nhận tin khuyến mãi từ {shop}. Nhắn STOP để ngừng."
    # Transactional notices (`update`): no offer wording (Messenger utility rules).
    notice_points_earned: Tpl("points", "balance") = (
        "{shop}: bạn vừa được cộng {points} điểm. Số điểm hiện có: {balance}."
    )
    notice_tier_changed: Tpl("tier") = "{shop}: hạng thành viên của bạn nay là {tier}."
    notice_voucher_issued: Tpl("voucher_code", "voucher_value", "expires_at") = (
        "{shop}: bạn có voucher {voucher_code} ({voucher_value}), hạn dùng {expires_at}."
    )
    notice_voucher_expiring: Tpl("voucher_code", "voucher_value", "expires_at") = (
        "{shop}: voucher {voucher_code} ({voucher_value}) của bạn hết hạn vào {expires_at}."
    )

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if value and not _HOURS.match(value):
            raise invalid(
                f"quiet_hours {value!r} is not HH:MM-HH:MM",
                'write e.g. "21:00-08:00" (Vietnam time), or "" for none',
            )
        return value

    def quiet_window(self) -> tuple[time, time] | None:
        """(start, end) in Vietnam time, or None when there are no quiet hours."""
        found = _HOURS.match(self.quiet_hours)
        if not found or self.quiet_hours[:5] == self.quiet_hours[6:]:
            return None
        h1, m1, h2, m2 = (int(x) for x in found.groups())
        return time(h1, m1), time(h2, m2)


class ZnsTemplate(_Strict):
    """One approved ZBS template; `params` maps each template parameter to a value such as
    `"{points}"` (our placeholders, see TEMPLATE_VARS) or fixed text."""

    template_id: Annotated[str, Field(min_length=1, max_length=64)]
    tag: Literal[1, 2, 3]  # 1 transaction, 2 care, 3 promotion
    by_uid: bool = False  # approved on or after 2025-12-10: may go by Zalo user id
    params: dict[Annotated[str, Field(min_length=1, max_length=64)], str] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _placeholders(self) -> ZnsTemplate:
        for key, value in self.params.items():
            for found in re.findall(r"\{([^{}]*)\}", value):
                if found not in TEMPLATE_VARS:
                    raise invalid(
                        f"zns parameter {key}: unknown placeholder {{{found}}}",
                        "use one of " + ", ".join(f"{{{v}}}" for v in sorted(TEMPLATE_VARS)),
                    )
        return self


class Zns(_Strict):
    """`templates`: by our name (a notice kind or a name a broadcast refers to)."""

    templates: dict[Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")], ZnsTemplate] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _tags(self) -> Zns:
        for kind in NOTICE_KINDS:
            spec = self.templates.get(kind)
            if spec is not None and spec.tag == 3:
                raise invalid(
                    f"zns template {kind} is a notice but has tag 3 (promotion)",
                    "use a tag 1 (transaction) or tag 2 (care) template for notices",
                )
        return self

    def for_kind(self, kind: str) -> ZnsTemplate | None:
        return self.templates.get(kind)


# Reminders of an offer are promotional (outreach.md §3 verdict): never a utility template.
NOT_UTILITY = frozenset({"voucher_expiring"})


def _check_placeholders(where: str, values: list[str]) -> None:
    for value in values:
        for found in re.findall(r"\{([^{}]*)\}", value):
            if found not in TEMPLATE_VARS:
                raise invalid(
                    f"{where}: unknown placeholder {{{found}}}",
                    "use one of " + ", ".join(f"{{{v}}}" for v in sorted(TEMPLATE_VARS)),
                )


class MessengerTemplate(_Strict):
    """One utility template the Page has (its own, or cloned from Meta's library).

    `params`: a list fills the body's parameters by position; a mapping fills them by
    name (templates created with `parameter_format: NAMED`). Values as in `zns:`."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,512}$")]
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")] = "vi"
    params: list[str] | dict[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")], str] = Field(
        default_factory=list, max_length=20
    )

    @model_validator(mode="after")
    def _placeholders(self) -> MessengerTemplate:
        values = list(self.params.values()) if isinstance(self.params, dict) else self.params
        _check_placeholders(f"messenger template {self.name}", values)
        return self


class MessengerUtility(_Strict):
    """`templates`: by our name, like `zns:` (a notice kind or a name a broadcast uses)."""

    templates: dict[Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")], MessengerTemplate] = (
        Field(default_factory=dict)
    )

    @model_validator(mode="after")
    def _not_offers(self) -> MessengerUtility:
        for kind in NOT_UTILITY & set(self.templates):
            raise invalid(
                f"messenger_utility template {kind} is an offer reminder, not a utility message",
                f"remove {kind}: Meta refuses offers in utility templates; it goes only inside "
                "the 24-hour window",
            )
        return self

    def for_kind(self, kind: str) -> MessengerTemplate | None:
        return self.templates.get(kind)
