"""Every message the chat flows send, as typed fields of `texts:` in the content file.

Each field declares the placeholders the flow passes, so a misspelled `{voucher_cod}` is a
config error at load time rather than a crash in front of a customer. `{name}` (the
person's display name, or `fallback_name`) and `{shop}` (the shop's name) are available in
every message; button labels take no placeholders and must fit a button (20 characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from bot.content.errors import invalid
from bot.content.templating import check_template

COMMON_VARS = frozenset({"name", "shop"})
BUTTON_MAX = 20
TEXT_MAX = 2000


@dataclass(frozen=True, slots=True)
class Placeholders:
    """Field metadata: the `{placeholders}` this text may use (checked on validation)."""

    names: frozenset[str]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def check(self, value: str) -> str:
        problem = check_template(value, self.names)
        if problem:
            raise invalid(*problem)
        return value


def Tpl(*names: str, max_length: int = TEXT_MAX, common: bool = True) -> Any:
    """A message text that may use `names` (plus `{name}` and `{shop}` when `common`)."""
    allowed = frozenset(names) | (COMMON_VARS if common else frozenset())
    return Annotated[str, Field(min_length=1, max_length=max_length), Placeholders(allowed)]


Button = Annotated[str, Field(min_length=1, max_length=BUTTON_MAX), Placeholders(frozenset())]
Label = Annotated[str, Field(min_length=1, max_length=40), Placeholders(frozenset())]

VOUCHER = ("voucher_code", "voucher_value", "expires_at")


class Texts(BaseModel):
    """All chat texts. Defaults for keys the file leaves out come from
    `assets/templates/defaults.vi.yaml`, so adding a text in a new release never breaks an
    existing content file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- general ------------------------------------------------------------------------
    fallback_name: Tpl(max_length=40, common=False)  # used as {name} when it is unknown
    date_format: str = Field(min_length=1, max_length=40)  # strftime, e.g. %d/%m/%Y
    datetime_format: str = Field(min_length=1, max_length=40)  # e.g. %H:%M %d/%m/%Y
    menu_intro: Tpl()
    error_generic: Tpl()
    rate_limited: Tpl()
    unavailable: Tpl()  # an old button or keyword points at something that is gone

    # --- buttons ------------------------------------------------------------------------
    button_menu: Button
    button_card: Button
    button_vouchers: Button
    button_play_again: Button
    button_share_phone: Button
    button_cancel: Button
    button_rules: Button  # the campaign's public page (rules, prizes left, winners)

    # --- phone number -------------------------------------------------------------------
    phone_request: Tpl()
    phone_request_title: Tpl(max_length=100)
    phone_request_subtitle: Tpl(max_length=500)
    phone_invalid: Tpl()
    phone_saved: Tpl("phone")
    phone_voucher: Tpl(*VOUCHER)
    phone_already_rewarded: Tpl("phone")
    phone_taken: Tpl("phone")

    # --- consent (stored word for word as evidence: only {shop}, never the person's name) --
    consent_phone: Tpl("shop", common=False)  # why the phone is kept (Mini App, records)
    consent_marketing: Tpl("shop", common=False)  # the promotional-messages opt-in

    # --- member card --------------------------------------------------------------------
    card_caption: Tpl("tier", "points", "points_to_next", "next_tier", "member_code", "progress")
    card_progress: Tpl("tier", "points", "points_to_next", "next_tier")
    card_top_tier: Tpl("tier", "points")
    card_label_points: Label
    card_label_tier: Label
    card_label_member: Label

    # --- vouchers and points ------------------------------------------------------------
    vouchers_intro: Tpl("count")
    vouchers_empty: Tpl()
    voucher_line: Tpl("title", *VOUCHER)
    voucher_value_amount: Tpl("amount", max_length=40, common=False)
    voucher_value_percent: Tpl("percent", max_length=40, common=False)
    voucher_redeemed: Tpl("title", "voucher_code", "voucher_value")
    points_earned: Tpl("points", "amount", "balance", "tier")
    tier_up: Tpl("tier", "previous_tier")
    tier_down: Tpl("tier", "previous_tier")
    tier_reward: Tpl("tier", *VOUCHER)

    # --- games --------------------------------------------------------------------------
    game_intro: Tpl("title", "description", "plays_left")
    game_spin_button: Button
    game_scratch_button: Button
    game_quiz_start_button: Button
    game_spinning: Tpl("title")
    game_win: Tpl("title", "prize", *VOUCHER)
    game_win_gift: Tpl("title", "prize", "play_id")
    game_lose: Tpl("title", "prize")
    game_no_plays_left: Tpl("title", "next_play_at")
    game_not_active: Tpl("title")
    game_busy: Tpl("title")
    quiz_question: Tpl("title", "index", "total", "seconds", "question")
    quiz_correct: Tpl("answer")
    quiz_wrong: Tpl("answer")
    quiz_timeout: Tpl("answer")
    quiz_result: Tpl("title", "score", "total")
    quiz_in_progress: Tpl("title", "index", "total")

    @classmethod
    def placeholders(cls, key: str) -> frozenset[str]:
        """The placeholders text `key` may use (what the flow must pass when rendering)."""
        for meta in cls.model_fields[key].metadata:
            if isinstance(meta, Placeholders):
                return meta.names
        return frozenset()
