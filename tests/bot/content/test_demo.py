"""The shipped demo content and the defaults file are valid and complete."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content import Content, Texts, load_content
from bot.content.check import run_check
from bot.content.loader import DEFAULTS_PATH, display_path
from bot.content.texts import BUTTON_MAX
from tests.bot.content.conftest import DEMO, ROOT


@pytest.fixture(scope="module")
def demo() -> Content:
    return load_content(DEMO)


def test_demo_file_is_valid(demo: Content) -> None:
    assert demo.shop.name == "Cà Phê Sữa Đá"
    assert [g.id for g in demo.games] == ["lucky-wheel", "scratch-card", "quiz"]
    wheel = demo.game("lucky-wheel")
    assert wheel is not None and wheel.type == "wheel"
    assert 5 <= len(wheel.prizes) <= 6 and wheel.no_prize.id == "none"
    quiz = demo.game("quiz")
    assert quiz is not None and quiz.quiz is not None
    assert len(quiz.quiz.questions) >= 6
    assert (quiz.quiz.questions_per_play, quiz.quiz.seconds_per_question) == (3, 20)
    assert [(t.name, t.min_points) for t in demo.loyalty.tiers] == [
        ("Member", 0),
        ("Silver", 500),
        ("Gold", 1000),
        ("Platinum", 2000),
    ]
    assert demo.loyalty.vnd_per_point == 10_000
    assert demo.rewards.phone_capture is not None
    assert "{{user_first_name}}" in demo.greetings.messenger_greeting
    assert len(demo.digest) == 64 and demo.path == DEMO


def test_demo_menu_covers_every_flow(demo: Content) -> None:
    actions = {str(item.action) for item in demo.menu}
    assert {"game:lucky-wheel", "game:scratch-card", "game:quiz"} <= actions
    assert {"card", "vouchers", "phone"} <= actions
    assert all(len(item.title) <= BUTTON_MAX for item in demo.menu)


def test_demo_images_exist(demo: Content) -> None:
    for ref in (
        demo.greetings.zalo_follow.image,
        demo.greetings.messenger_get_started.image,
        demo.shop.logo,
    ):
        assert ref is not None
        path = demo.asset_path(ref)
        assert path is not None and path.is_file()
    from PIL import Image

    with Image.open(ROOT / "assets" / "images" / "banner.png") as banner:
        assert banner.size == (1200, 628)


def test_check_demo_prints_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check(None, DEMO) == 0
    assert capsys.readouterr().out.strip() == f"OK: {display_path(DEMO)}"


def test_demo_and_defaults_list_every_text() -> None:
    """The demo shows every text to the admin; the defaults cover every text for old files."""
    fields = set(Texts.model_fields)
    demo_texts = yaml.safe_load(DEMO.read_text(encoding="utf-8"))["texts"]
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))
    assert set(demo_texts) == fields
    assert set(defaults["texts"]) == fields
    Texts.model_validate(defaults["texts"])


def test_every_text_renders_with_its_placeholders(demo: Content) -> None:
    for key in Texts.model_fields:
        if key in ("date_format", "datetime_format"):
            continue
        values = {name: f"<{name}>" for name in Texts.placeholders(key)}
        rendered = demo.text(key, **values)
        assert "{" not in rendered, key


def test_contract_example_shape_is_valid(tmp_path: Path) -> None:
    """The minimal file of CONTRACT.md loads; texts, shop and default reply come from the
    defaults file."""
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    path = tmp_path / "content.yaml"
    path.write_text(
        """
greetings:
  zalo_follow: {text: "Chào {name}! ...", image: assets/images/banner.png}
  messenger_get_started: {text: "...", image: assets/images/banner.png}
  messenger_greeting: "Chào {{user_first_name}}! ..."
menu:
  - {title: "Vòng quay may mắn", action: "game:lucky-wheel"}
  - {title: "Thẻ thành viên", action: "card"}
keywords:
  - {match: ["menu", "bắt đầu"], action: "menu"}
games:
  - id: lucky-wheel
    type: wheel
    title: "Vòng quay may mắn"
    plays_per_day: 1
    prizes:
      - {id: v50k, label: "Voucher 50K", weight: 10, stock: 100,
         voucher: {value: 50000, valid_days: 30}}
      - {id: none, label: "Chúc may mắn lần sau", weight: 90, stock: null}
rewards:
  phone_capture: {voucher: {value: 20000, valid_days: 14}}
loyalty:
  vnd_per_point: 10000
  tiers:
    - {name: Member, min_points: 0}
    - {name: Silver, min_points: 500}
    - {name: Gold, min_points: 1000}
    - {name: Platinum, min_points: 2000}
""",
        encoding="utf-8",
    )
    content = load_content(path)
    assert content.texts.game_spin_button == "Quay ngay"
    assert content.default_reply.text
    assert content.text("menu_intro")  # {name} falls back to texts.fallback_name
    assert content.asset_path("assets/images/banner.png") == (
        ROOT / "assets" / "images" / "banner.png"
    )


def test_decomposed_unicode_is_normalised(content_path: Path) -> None:
    """Some editors save Vietnamese decomposed (NFD); lengths must not depend on that."""
    import unicodedata

    text = content_path.read_text(encoding="utf-8")
    nfd = unicodedata.normalize("NFD", text)
    assert len(nfd) > len(text)
    content_path.write_text(nfd, encoding="utf-8")
    content = load_content(content_path)
    assert content.menu[0].title == "Vòng quay may mắn"
    assert unicodedata.is_normalized("NFC", content.texts.menu_intro)


def test_content_built_in_code_checks_references() -> None:
    """Other code (and tests) building `Content` directly get the cross-checks too."""
    from pydantic import ValidationError

    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    assert Content.model_validate(data).menu[0].title == "Vòng quay may mắn"
    data["menu"][0]["action"] = "game:gone"
    with pytest.raises(ValidationError) as info:
        Content.model_validate(data)
    (error,) = info.value.errors()
    assert error["ctx"]["at"] == ("menu", 0, "action")
    assert error["msg"] == "game 'gone' does not exist"
