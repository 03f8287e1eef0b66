"""The content file as typed data: what the admin may write, and every rule it must follow.

Game, reward and loyalty sections reuse the schemas of `games/` and `loyalty/`. Unknown keys
are errors (a typo must not silently do nothing). The loader (`bot.content.loader`) turns
validation errors into `file:line key: problem — fix` lines.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from bot.content.actions import ActionField
from bot.content.crossref import cross_problems, find_asset
from bot.content.errors import invalid
from bot.content.journeys import Journey, journey_problems
from bot.content.keywords import find_keyword
from bot.content.outreach import MessengerUtility, Outreach, Zns
from bot.content.templating import render_text
from bot.content.texts import BUTTON_MAX, Placeholders, Texts, Tpl
from games.config import HEX_COLOR, SLUG, Game, VoucherSpec
from loyalty.config import LoyaltyConfig, RewardsConfig
from loyalty.promotions.config import PromotionsConfig
from loyalty.segments.builtin import BUILTIN_IDS
from loyalty.segments.rules import RfmConfig, SegmentDef, SegmentSpec

MESSENGER_VARS = ("user_first_name", "user_last_name", "user_full_name")
MESSENGER_GREETING_MAX = 160
_MESSENGER_VAR = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ImageRef = Annotated[str, Field(min_length=1, max_length=500)]
HexColor = Annotated[str, Field(pattern=HEX_COLOR)]
Plain = Placeholders(frozenset())  # no placeholders allowed


def _check_messenger_greeting(value: str) -> str:
    """Messenger fills only its own `{{user_…}}` placeholders; anything else shows raw."""
    for found in _MESSENGER_VAR.findall(value):
        if found not in MESSENGER_VARS:
            raise invalid(
                f"Messenger does not know {{{{{found}}}}}",
                "use {{user_first_name}}, {{user_last_name}} or {{user_full_name}}",
            )
    if re.search(r"(?<!\{)\{[^{}]*\}(?!\})", value):
        raise invalid(
            "Messenger does not fill single-brace placeholders such as {name}",
            "write {{user_first_name}} instead",
        )
    return value


MessengerGreeting = Annotated[
    str,
    Field(min_length=1, max_length=MESSENGER_GREETING_MAX),
    AfterValidator(_check_messenger_greeting),
]


class ShopColors(_Strict):
    """Brand colours used by the rendered images (wheel, scratch card, member card)."""

    primary: HexColor = "#6F4E37"
    accent: HexColor = "#E0A458"
    background: HexColor = "#FFF8F0"
    text: HexColor = "#2B1B12"


class Shop(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=60), Plain]
    logo: ImageRef | None = None
    colors: ShopColors = ShopColors()


class Greeting(_Strict):
    text: Tpl()
    image: ImageRef | None = None


class Greetings(_Strict):
    zalo_follow: Greeting  # sent when someone follows the OA
    messenger_get_started: Greeting  # sent when someone taps Get Started
    messenger_greeting: MessengerGreeting  # the Page's welcome screen, filled by Facebook


class MenuItem(_Strict):
    """A button: in the chat menu, the Messenger persistent menu, or under a reply."""

    title: Annotated[str, Field(min_length=1, max_length=BUTTON_MAX), Plain]
    action: ActionField


class Reply(_Strict):
    """A canned answer, sent by a `text:<key>` action."""

    text: Tpl()
    image: ImageRef | None = None
    buttons: list[MenuItem] = Field(default_factory=list, max_length=3)


class Keyword(_Strict):
    """Words that trigger an action or a reply (case, accents and punctuation ignored)."""

    match: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1)
    action: ActionField | None = None
    reply: Tpl() | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Keyword:
        if (self.action is None) == (self.reply is None):
            raise invalid(
                "a keyword needs exactly one of action: or reply:",
                "keep either action: (e.g. action: menu) or reply: with a text",
            )
        return self


class DefaultReply(_Strict):
    """The answer to anything unrecognised, sent at most once per cooldown per person."""

    text: Tpl()
    cooldown_seconds: int = Field(3600, ge=0, le=30 * 24 * 3600)


class Content(_Strict):
    """The whole content file, validated."""

    shop: Shop
    greetings: Greetings
    menu: list[MenuItem] = Field(min_length=1, max_length=13)
    keywords: list[Keyword] = Field(default_factory=list)
    replies: dict[Annotated[str, Field(pattern=SLUG)], Reply] = Field(default_factory=dict)
    default_reply: DefaultReply
    games: list[Game] = Field(default_factory=list)
    rewards: RewardsConfig = RewardsConfig()
    loyalty: LoyaltyConfig
    promotions: PromotionsConfig = PromotionsConfig()
    rfm: RfmConfig = RfmConfig()
    segments: list[SegmentDef] = Field(default_factory=list, max_length=200)
    texts: Texts
    outreach: Outreach = Outreach()
    zns: Zns = Zns()
    messenger_utility: MessengerUtility = MessengerUtility()
    journeys: list[Journey] = Field(default_factory=list, max_length=100)

    _path: Path | None = PrivateAttr(None)
    _digest: str = PrivateAttr("")
    _base_dirs: tuple[Path, ...] = PrivateAttr(())

    @model_validator(mode="after")
    def _segment_ids(self) -> Content:
        seen: set[str] = set()
        for i, seg in enumerate(self.segments):
            if seg.id in BUILTIN_IDS:
                raise invalid(
                    f"{seg.id!r} is a built-in segment",
                    "choose another id (the built-in ones exist already)",
                    at=("segments", i, "id"),
                )
            if seg.id in seen:
                raise invalid(
                    f"segment id {seg.id!r} is used twice",
                    "give each segment its own id",
                    at=("segments", i, "id"),
                )
            seen.add(seg.id)
        return self

    @model_validator(mode="after")
    def _journeys(self) -> Content:
        segments = {*BUILTIN_IDS, *(s.id for s in self.segments)}
        tiers = {t.name for t in self.loyalty.tiers}
        issues = journey_problems(self.journeys, segments, tiers, set(self.zns.templates))
        if issues:
            loc, message, fix = issues[0]
            raise invalid(message, fix, at=loc)
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> Content:
        issues = cross_problems(self.model_dump(mode="json", include=_CROSS_FIELDS))
        if issues:
            loc, message, fix = issues[0]
            raise invalid(message, fix, at=loc)
        return self

    @model_validator(mode="after")
    def _prizes_valued(self) -> Content:
        """A promotion's rules state each prize's value: a prize with stock needs one."""
        for i, game in enumerate(self.games):
            for j, prize in enumerate(game.prizes):
                if prize.stock is not None and prize.unit_value is None:
                    what = "a percent voucher" if prize.voucher is not None else "no voucher"
                    raise invalid(
                        f"prize {prize.id!r} has stock and {what}, so its value is unknown",
                        "add `value:` (what one unit is worth in VND, e.g. value: 35000):"
                        " the promotion's rules announce it",
                        at=("games", i, "prizes", j),
                    )
        return self

    # --- where it came from -------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def digest(self) -> str:
        """SHA-256 of the file's bytes: changes whenever the admin's edit does."""
        return self._digest

    def asset_path(self, ref: str) -> Path | None:
        """The absolute file of an image reference (`greetings.*.image`, `shop.logo`)."""
        if ref.startswith(("http://", "https://")):
            return None
        return find_asset(ref, self._base_dirs or (Path.cwd(),))

    # --- look-ups -----------------------------------------------------------------------
    def game(self, game_id: str) -> Game | None:
        return next((g for g in self.games if g.id == game_id), None)

    def segment_spec(self) -> SegmentSpec:
        """What a segment refresh needs from this file (window, first tier, custom rules)."""
        return SegmentSpec(
            window_days=self.rfm.window_days,
            first_tier=self.loyalty.tiers[0].name,
            custom=tuple(self.segments),
        )

    def reply(self, key: str) -> Reply | None:
        return self.replies.get(key)

    def match_keyword(self, text: str) -> Keyword | None:
        return find_keyword(self.keywords, text)

    # --- rendering ----------------------------------------------------------------------
    def render(self, template: str, **variables: Any) -> str:
        """Render any content text; `{shop}` and `{name}` are filled in when not given."""
        variables.setdefault("shop", self.shop.name)
        if not variables.get("name"):
            variables["name"] = self.texts.fallback_name
        return render_text(template, **variables)

    def text(self, key: str, **variables: Any) -> str:
        """Render `texts.<key>` with its placeholders (see `Texts.placeholders(key)`)."""
        return self.render(getattr(self.texts, key), **variables)

    def format_date(self, moment: datetime) -> str:
        return moment.strftime(self.texts.date_format)

    def format_datetime(self, moment: datetime) -> str:
        return moment.strftime(self.texts.datetime_format)

    def voucher_value(self, spec: VoucherSpec) -> str:
        """`50.000đ` or `10%`, as the texts `voucher_value_amount/percent` say."""
        if spec.kind == "percent":
            return render_text(self.texts.voucher_value_percent, percent=spec.value)
        return render_text(self.texts.voucher_value_amount, amount=spec.value)


_CROSS_FIELDS = {"menu", "keywords", "replies", "games"}
