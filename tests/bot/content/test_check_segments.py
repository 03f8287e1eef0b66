"""`config check` on `segments:` and `rfm:`: one `file:line key: problem — fix` per mistake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.bot.content.conftest import DEMO, edit_text, line_number

Check = Callable[[str], tuple[int, list[str]]]
KNOWN = (
    "min_orders, max_orders, min_spend, max_spend, last_order_days, tier, tags, channel, "
    "has_phone, source, birthday_month, joined_days, stage, rfm"
)
CASES = [
    (
        "unknown-rule-key",
        "rule: {birthday_month: current}",
        "rule: {birthday_month: current, foo: 3}",
        f"segments[2].rule.foo: unknown key 'foo' — remove it or use a known key ({KNOWN})",
    ),
    (
        "unknown-tag-key",
        "rule: {tags: {any: [vip]}, channel: [zalo, miniapp]}",
        "rule: {tags: {some: [vip]}, channel: [zalo, miniapp]}",
        "segments[3].rule.tags.some: unknown key 'some' — remove it or use a known key "
        "(any, all, none)",
    ),
    (
        "bad-channel",
        "rule: {tags: {any: [vip]}, channel: [zalo, miniapp]}",
        "rule: {tags: {any: [vip]}, channel: [sms]}",
        "segments[3].rule.channel[0]: \"sms\" is not allowed — write one of 'zalo', "
        "'messenger' or 'miniapp'",
    ),
    (
        "built-in-id",
        "  - id: regulars\n",
        "  - id: champions\n",
        "segments[0].id: 'champions' is a built-in segment — choose another id",
    ),
    (
        "bad-month",
        "rule: {birthday_month: current}",
        "rule: {birthday_month: [13]}",
        "segments[2].rule.birthday_month",
    ),
    (
        "window-too-short",
        "  window_days: 365",
        "  window_days: 3",
        "rfm.window_days: 3 is out of range — it must be at least 7",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_segment_mistakes_point_at_their_line(
    check: Check, old: str, new: str, expected: str
) -> None:
    text = edit_text(DEMO.read_text(encoding="utf-8"), old, new)
    code, out = check(text)
    assert code == 1
    needle = new.strip().split("\n")[0]
    line = line_number(text, needle)
    assert any(o.startswith(f"content.yaml:{line} {expected}") for o in out), "\n".join(out)
