"""The delivery policy as a table: channel × purpose × window × quiet hours × cap × opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.content.outreach import Outreach
from bot.outreach.policy import (
    Ask,
    ContactView,
    Rules,
    Template,
    decide,
    in_quiet_hours,
    rules_from,
)

# 10:00 in Vietnam (UTC+7): outside the default quiet hours 21:00-08:00.
DAY = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
NIGHT = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)  # 22:00 in Vietnam
H = timedelta(hours=1)
RULES = Rules(quiet_hours=(time(21, 0), time(8, 0)), max_promotions_per_week=2)


def zalo(age: timedelta | None, *, reachable: bool = True) -> ContactView:
    at = None if age is None else DAY - age
    return ContactView("zalo", "z1", at, reachable)


def fb(age: timedelta | None) -> ContactView:
    return ContactView("messenger", "p1", None if age is None else DAY - age)


ZT_UID = Template(by_uid=True)
ZT_PHONE = Template(by_uid=False)
MT = Template()

# (id, purpose, contacts, opted_in, cap used, has_phone, zalo tpl, fb tpl, now, rules)
# -> expected (route, channel, reason)
# fmt: off
CASES = [
    # replies: inside the windows only, quiet hours and consent do not apply
    ("reply-zalo-1h", "reply", [zalo(H)], False, 9, False, None, None, NIGHT, None,
     ("zalo_cs", "zalo", None)),
    ("reply-zalo-6d-billed", "reply", [zalo(144 * H)], False, 0, False, None, None, DAY, None,
     ("zalo_cs", "zalo", None)),
    ("reply-zalo-8d", "reply", [zalo(192 * H)], False, 0, True, ZT_UID, None, DAY, None,
     (None, None, "no_channel")),
    ("reply-fb-23h", "reply", [fb(23 * H)], False, 0, False, None, None, DAY, None,
     ("messenger", "messenger", None)),
    ("reply-fb-25h", "reply", [fb(25 * H)], False, 0, False, None, MT, DAY, None,
     (None, None, "no_channel")),
    # updates: CS inside 7 days, then a ZBS template (UID, else phone); Messenger utility
    ("update-zalo-3d-cs", "update", [zalo(72 * H)], False, 0, False, ZT_UID, None, DAY, None,
     ("zalo_cs", "zalo", None)),
    ("update-zalo-8d-uid", "update", [zalo(192 * H)], False, 0, False, ZT_UID, None, DAY, None,
     ("zalo_zbs_uid", "zalo", None)),
    ("update-zalo-8d-phone", "update", [zalo(192 * H)], False, 0, True, ZT_PHONE, None, DAY,
     None, ("zalo_zbs_phone", "zalo", None)),
    ("update-zalo-8d-no-phone", "update", [zalo(192 * H)], False, 0, False, ZT_PHONE, None,
     DAY, None, (None, None, "no_channel")),
    ("update-zalo-8d-no-tpl", "update", [zalo(192 * H)], False, 0, True, None, None, DAY, None,
     (None, None, "no_channel")),
    ("update-phone-only", "update", [], False, 0, True, ZT_PHONE, None, DAY, None,
     ("zalo_zbs_phone", "zalo", None)),
    ("update-fb-30h-utility", "update", [fb(30 * H)], False, 0, False, None, MT, DAY, None,
     ("messenger_utility", "messenger", None)),
    ("update-fb-30h-no-tpl", "update", [fb(30 * H)], False, 0, False, None, None, DAY, None,
     (None, None, "no_channel")),
    ("update-at-night", "update", [fb(H)], False, 5, False, None, None, NIGHT, None,
     ("messenger", "messenger", None)),
    # promotions: consent, cap, quiet hours first; then the stricter windows
    ("promo-not-opted-in", "promotion", [fb(H)], False, 0, False, None, None, DAY, None,
     (None, None, "opted_out")),
    ("promo-cap", "promotion", [fb(H)], True, 2, False, None, None, DAY, None,
     (None, None, "weekly_cap")),
    ("promo-night", "promotion", [fb(H)], True, 0, False, None, None, NIGHT, None,
     (None, None, "quiet_hours")),
    ("promo-fb-23h", "promotion", [fb(23 * H)], True, 1, False, None, None, DAY, None,
     ("messenger", "messenger", None)),
    ("promo-fb-25h", "promotion", [fb(25 * H)], True, 0, False, None, MT, DAY, None,
     (None, None, "no_channel")),
    ("promo-zalo-1h-cs-off", "promotion", [zalo(H)], True, 0, False, None, None, DAY, None,
     (None, None, "no_channel")),
    ("promo-zalo-1h-cs-on", "promotion", [zalo(H)], True, 0, False, None, None, DAY,
     Rules(zalo_promotions_in_cs_window=True), ("zalo_cs", "zalo", None)),
    ("promo-zalo-50h-cs-on", "promotion", [zalo(50 * H)], True, 0, False, None, None, DAY,
     Rules(zalo_promotions_in_cs_window=True), (None, None, "no_channel")),
    ("promo-zalo-zbs", "promotion", [zalo(H)], True, 0, False, ZT_UID, None, DAY, None,
     ("zalo_zbs_uid", "zalo", None)),
    ("promo-zalo-unreachable", "promotion", [zalo(H, reachable=False)], True, 0, False, ZT_UID,
     None, DAY, None, (None, None, "unreachable")),
    ("promo-cap-zero", "promotion", [fb(H)], True, 0, False, None, None, DAY,
     Rules(max_promotions_per_week=0), (None, None, "weekly_cap")),
    ("promo-no-quiet-hours", "promotion", [fb(H)], True, 0, False, None, None, NIGHT,
     Rules(quiet_hours=None), ("messenger", "messenger", None)),
    # several identities: one message, on the first channel of the order allowed now
    ("two-ids-zalo-first", "reply", [fb(H), zalo(H)], False, 0, False, None, None, DAY, None,
     ("zalo_cs", "zalo", None)),
    ("two-ids-messenger-first", "reply", [fb(H), zalo(H)], False, 0, False, None, None, DAY,
     Rules(channel_order=("messenger", "zalo")), ("messenger", "messenger", None)),
    ("two-ids-fallback", "promotion", [zalo(H), fb(H)], True, 0, False, None, None, DAY, None,
     ("messenger", "messenger", None)),
    ("no-identity", "update", [], False, 0, False, ZT_UID, MT, DAY, None,
     (None, None, "no_channel")),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_policy_table(case: tuple) -> None:
    _, purpose, contacts, opted_in, used, phone, zt, mt, now, rules, expected = case
    ask = Ask(
        purpose=purpose,
        contacts=contacts,
        opted_in=opted_in,
        promotions_this_week=used,
        has_phone=phone,
        zalo_template=zt,
        messenger_template=mt,
    )
    d = decide(ask, rules or RULES, now)
    assert (d.route, d.channel, d.reason) == expected, d.detail
    assert d.allowed == (expected[0] is not None)


def test_quiet_hours_end_is_the_next_morning() -> None:
    ends = in_quiet_hours(RULES, NIGHT)  # 22:00 VN → 08:00 VN next day = 01:00 UTC
    assert ends == datetime(2026, 5, 5, 1, 0, tzinfo=UTC)
    assert in_quiet_hours(RULES, DAY) is None
    early = datetime(2026, 5, 4, 0, 30, tzinfo=UTC)  # 07:30 VN, same morning
    assert in_quiet_hours(RULES, early) == datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
    daytime = Rules(quiet_hours=(time(12, 0), time(13, 0)))
    assert in_quiet_hours(daytime, datetime(2026, 5, 4, 5, 30, tzinfo=UTC)) is not None


def test_rules_from_content() -> None:
    rules = rules_from(
        Outreach(quiet_hours="22:00-07:30", max_promotions_per_week=1), ["messenger"]
    )
    assert rules.quiet_hours == (time(22, 0), time(7, 30))
    assert rules.channel_order == ("messenger",)
    assert rules_from(Outreach(quiet_hours=""), ["zalo"]).quiet_hours is None


def test_zns_section_is_validated() -> None:
    from pydantic import ValidationError

    from bot.content.outreach import Zns

    ok = Zns.model_validate(
        {
            "templates": {
                "points_earned": {"template_id": "1", "tag": 1, "params": {"p": "{points}"}}
            }
        }
    )
    assert ok.for_kind("points_earned") is not None
    with pytest.raises(ValidationError, match="tag 3"):
        Zns.model_validate({"templates": {"points_earned": {"template_id": "1", "tag": 3}}})
    with pytest.raises(ValidationError, match="unknown placeholder"):
        Zns.model_validate(
            {"templates": {"sale": {"template_id": "1", "tag": 3, "params": {"p": "{pionts}"}}}}
        )
    with pytest.raises(ValidationError, match="quiet_hours"):
        Outreach(quiet_hours="9pm-8am")
