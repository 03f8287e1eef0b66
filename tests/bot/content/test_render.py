"""Rendering texts, the action language and keyword matching."""

from __future__ import annotations

from datetime import datetime

import jinja2
import pytest

from bot.content import Action, Content, load_content
from bot.content.actions import ActionSyntaxError
from bot.content.keywords import normalize
from bot.content.templating import check_template, compile_text, render_text
from games.config import VoucherSpec
from tests.bot.content.conftest import DEMO


@pytest.fixture(scope="module")
def demo() -> Content:
    return load_content(DEMO)


def test_render_text_fills_placeholders() -> None:
    out = render_text(
        "Chào {name}! Hạng {tier}, {points|number} điểm, mã {voucher_code}.",
        name="Lan",
        tier="Gold",
        points=12500,
        voucher_code="AB12CD",
    )
    assert out == "Chào Lan! Hạng Gold, 12.500 điểm, mã AB12CD."


def test_render_text_supports_conditions_and_leaves_plain_text_alone() -> None:
    template = (
        "{% if next_tier %}Còn {points_to_next} điểm tới {next_tier}"
        "{% else %}Hạng cao nhất{% endif %}"
    )
    assert render_text(template, next_tier="Gold", points_to_next=20) == "Còn 20 điểm tới Gold"
    assert render_text(template, next_tier=None, points_to_next=0) == "Hạng cao nhất"
    assert render_text("Không có biến") == "Không có biến"


def test_render_text_missing_variable_raises() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_text("Chào {name}")


def test_compiled_templates_are_cached() -> None:
    assert compile_text("Mã {voucher_code}") is compile_text("Mã {voucher_code}")


def test_check_template() -> None:
    assert check_template("Mã {voucher_code}", {"voucher_code"}) is None
    assert check_template("Mã {voucher_cod}", {"voucher_code"}) == (
        "unknown placeholder {voucher_cod}",
        "use only the placeholders this text gets: {voucher_code}",
    )
    broken = check_template("Mã {voucher_code", {"voucher_code"})
    assert broken is not None and broken[0].startswith("placeholder syntax is broken")
    unknown_filter = check_template("{points|nope}", {"points"})
    assert unknown_filter is not None and unknown_filter[0] == "No filter named 'nope'."


def test_content_text_fills_shop_and_fallback_name(demo: Content) -> None:
    assert demo.text("tier_up", tier="Gold", previous_tier="Silver") == (
        "🎉 Chúc mừng bạn đã lên hạng Gold!"
    )
    assert demo.text("tier_up", name="Minh", tier="Gold", previous_tier="Silver") == (
        "🎉 Chúc mừng Minh đã lên hạng Gold!"
    )
    assert demo.render(demo.greetings.zalo_follow.text, name="Hà").startswith(
        "Chào Hà! ☕ Cảm ơn bạn đã quan tâm Cà Phê Sữa Đá."
    )


def test_voucher_value_and_dates(demo: Content) -> None:
    assert demo.voucher_value(VoucherSpec(value=50000, valid_days=30)) == "50.000đ"
    assert demo.voucher_value(VoucherSpec(value=10, kind="percent", valid_days=7)) == "10%"
    moment = datetime(2025, 3, 9, 8, 5)
    assert demo.format_date(moment) == "09/03/2025"
    assert demo.format_datetime(moment) == "08:05 ngày 09/03/2025"


@pytest.mark.parametrize(
    ("raw", "kind", "arg"),
    [
        ("menu", "menu", ""),
        (" Card ", "card", ""),
        ("game:lucky-wheel", "game", "lucky-wheel"),
        ("text:opening-hours", "text", "opening-hours"),
        ("url:https://example.com/a?b=1", "url", "https://example.com/a?b=1"),
        ("call:+84 901 234 567", "call", "+84901234567"),
    ],
)
def test_action_parse(raw: str, kind: str, arg: str) -> None:
    action = Action.parse(raw)
    assert (action.kind, action.arg) == (kind, arg)
    assert Action.parse(str(action)) == action


@pytest.mark.parametrize(
    "raw", ["spin", "game:", "game:Lucky Wheel", "url:http://x.vn", "call:abc", "menu:x"]
)
def test_action_parse_rejects(raw: str) -> None:
    with pytest.raises(ActionSyntaxError):
        Action.parse(raw)


def test_keywords_ignore_case_accents_and_punctuation(demo: Content) -> None:
    assert normalize("  Thẻ thành VIÊN!! ") == "the thanh vien"
    hit = demo.match_keyword("THẺ")
    assert hit is not None and str(hit.action) == "card"
    hit = demo.match_keyword("cho mình hỏi giờ mở cửa với ạ?")
    assert hit is not None and str(hit.action) == "text:opening-hours"
    hit = demo.match_keyword("the cao")  # whole-message match beats the shorter "thẻ"
    assert hit is not None and str(hit.action) == "game:scratch-card"
    hit = demo.match_keyword("wifi")
    assert hit is not None and hit.reply is not None and hit.action is None
    assert demo.match_keyword("xyz") is None
