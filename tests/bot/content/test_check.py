"""`config check`: exit codes and the exact `file:line key: problem — fix` line per mistake.

Each case edits one spot of the demo file; the expected line number is where that edit sits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bot.content.conftest import DEMO, edit_text, line_number

Check = Callable[[str], tuple[int, list[str]]]

# (case, old, new, needle on the expected line, expected "key: problem — fix")
CASES = [
    (
        "weight-not-a-number",
        "weight: 15, stock: 200",
        'weight: "abc", stock: 200',
        'weight: "abc"',
        'games[0].prizes[1].weight: "abc" is not a number — write a number such as 10',
    ),
    (
        "menu-unknown-game",
        '{title: "Đố vui cà phê", action: "game:quiz"}',
        '{title: "Đố vui cà phê", action: "game:quizz"}',
        "game:quizz",
        "menu[2].action: game 'quizz' does not exist — use one of the game ids: lucky-wheel, "
        "scratch-card, quiz, or add a game with id: quizz under games:",
    ),
    (
        "greeting-too-long",
        'Bấm Bắt đầu nhé!"',
        'Bấm Bắt đầu nhé! Hôm nay quán còn tặng thêm bánh ngọt cho ly đầu tiên."',
        "messenger_greeting: ",
        "greetings.messenger_greeting: is 174 characters long, the limit is 160 — "
        "shorten it to at most 160 characters",
    ),
    (
        "unknown-placeholder",
        'voucher {voucher_value}, mã {voucher_code}, dùng đến hết {expires_at}."\n  phone_',
        'voucher {voucher_value}, mã {voucher_cod}, dùng đến hết {expires_at}."\n  phone_',
        "{voucher_cod}",
        "texts.phone_voucher: unknown placeholder {voucher_cod} — use only the placeholders "
        "this text gets: {expires_at}, {name}, {shop}, {voucher_code}, {voucher_value}",
    ),
    (
        "duplicate-game-id",
        "  - id: quiz\n",
        "  - id: lucky-wheel\n",
        "  - id: lucky-wheel",  # the second one (the first is replaced below)
        "games[2].id: game id 'lucky-wheel' is already used by games[0] — "
        "give every game its own id",
    ),
    (
        "missing-required-field",
        "    type: scratch\n",
        "",
        "  - id: scratch-card",
        "games[1].type: type is missing — add type: with one of wheel, scratch, quiz",
    ),
    (
        "unknown-key-typo",
        "  phone_saved:",
        "  phone_savd:",
        "phone_savd:",
        "texts.phone_savd: unknown key 'phone_savd' — did you mean 'phone_saved'?",
    ),
    (
        "unknown-section-typo",
        "  cooldown_seconds: 3600",
        "  cooldown_second: 3600",
        "cooldown_second:",
        "default_reply.cooldown_second: unknown key 'cooldown_second' — "
        "did you mean 'cooldown_seconds'?",
    ),
    (
        "yaml-tab",
        "  menu_intro:",
        "\tmenu_intro:",
        "\tmenu_intro:",
        "yaml: syntax error: found character '\\t' that cannot start any token — "
        "indent with spaces, not tabs",
    ),
    (
        "yaml-unquoted-colon",
        '  rate_limited: "Bạn thao tác',
        "  rate_limited: Lưu ý: Bạn thao tác",
        "rate_limited: Lưu ý",
        "yaml: syntax error: mapping values are not allowed here — "
        'put text that contains ": " in quotes',
    ),
    (
        "tiers-out-of-order",
        "{name: Gold, min_points: 1000",
        "{name: Gold, min_points: 400",
        "name: Gold",
        "loyalty.tiers[2].min_points: tier 'Gold' (400 points) is not above 'Silver' "
        "(500 points) — list tiers from the lowest to the highest min_points, each higher "
        "than the last",
    ),
    (
        "first-tier-not-zero",
        "{name: Member, min_points: 0",
        "{name: Member, min_points: 100",
        "name: Member",
        "loyalty.tiers[0].min_points: the first tier does not start at 0 points — "
        "set min_points: 0 on the first tier (every member starts there)",
    ),
    (
        "dotted-thousands",
        "voucher: {value: 50000, valid_days: 30, min_order: 100000}",
        "voucher: {value: 50.000, valid_days: 30, min_order: 100000}",
        "value: 50.000",
        "games[0].prizes[0].voucher.value: 50.000 is read as 50 — write 50000",
    ),
    (
        "duplicate-prize-id",
        "{id: v15k,",
        "{id: free-drink,",
        'label: "Voucher 15K"',
        "games[1].prizes[1].id: prize id 'free-drink' is used twice — give each prize its own id",
    ),
    (
        "threshold-unknown-prize",
        "{min_score: 2, prize: v10k}",
        "{min_score: 2, prize: v5k}",
        "prize: v5k",
        "games[2].quiz.thresholds[1].prize: prize 'v5k' is not a prize of this game — "
        "use one of the game's prize ids: v30k, v10k, none",
    ),
    (
        "keyword-action-and-reply",
        '{match: ["cảm ơn", "cám ơn", "thanks"], reply:',
        '{match: ["cảm ơn", "cám ơn", "thanks"], action: menu, reply:',
        '"thanks"], action',
        "keywords[10]: a keyword needs exactly one of action: or reply: — keep either "
        "action: (e.g. action: menu) or reply: with a text",
    ),
    (
        "keyword-claimed-twice",
        '["wifi", "mật khẩu wifi", "pass wifi"]',
        '["wifi", "mật khẩu wifi", "Thẻ!"]',
        '"Thẻ!"',
        "keywords[9].match[2]: 'Thẻ!' is already a keyword in keywords[4] (case and accents "
        "are ignored) — keep it in only one keyword",
    ),
    (
        "messenger-greeting-own-placeholder",
        "Chào {{user_first_name}}!",
        "Chào {name}!",
        "messenger_greeting: ",
        "greetings.messenger_greeting: Messenger does not fill single-brace placeholders "
        "such as {name} — write {{user_first_name}} instead",
    ),
    (
        "menu-title-too-long",
        '{title: "Giờ mở cửa", action:',
        '{title: "Giờ mở cửa các chi nhánh", action:',
        "Giờ mở cửa các chi nhánh",
        "menu[6].title: is 24 characters long, the limit is 20 — "
        "shorten it to at most 20 characters",
    ),
    (
        "bad-action",
        'action: "text:opening-hours"}\n\nkeywords',
        'action: "spin"}\n\nkeywords',
        'action: "spin"',
        "menu[6].action: 'spin' is not an action — write one of: menu, card, phone, vouchers, "
        "game:<game id>, text:<reply key>, url:https://…, call:<phone>",
    ),
    (
        "duplicate-yaml-key",
        "  cooldown_seconds: 3600",
        "  cooldown_seconds: 3600\n  cooldown_seconds: 60",
        "cooldown_seconds: 60",
        "default_reply.cooldown_seconds: written twice (also on line {prev}) — "
        "keep only one; YAML uses the last one",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_mistake_is_reported_on_its_line(
    check: Check, old: str, new: str, needle: str, expected: str
) -> None:
    text = edit_text(DEMO.read_text(encoding="utf-8"), old, new)
    if "lucky-wheel" in new and "id: quiz" in old:  # keep the menu and keywords valid
        text = text.replace("game:quiz", "game:lucky-wheel")
        line = [i for i, s in enumerate(text.splitlines(), 1) if s == needle][-1]
    else:
        line = line_number(text, needle)
    expected = expected.replace("{prev}", str(line - 1))
    code, out = check(text)
    assert code == 1
    assert f"content.yaml:{line} {expected}" in out, "\n".join(out)


def test_single_mistake_prints_exactly_one_line(check: Check) -> None:
    text = edit_text(
        DEMO.read_text(encoding="utf-8"), "weight: 15, stock: 200", "weight: x, stock: 200"
    )
    code, out = check(text)
    assert code == 1
    assert out == [
        f"content.yaml:{line_number(text, 'weight: x')} games[0].prizes[1].weight: "
        '"x" is not a number — write a number such as 10'
    ]


def test_missing_image(check: Check, content_path: Path) -> None:
    text = edit_text(
        DEMO.read_text(encoding="utf-8"),
        "    image: assets/images/banner.png\n  messenger_get_started:",
        "    image: assets/images/banner-old.png\n  messenger_get_started:",
    )
    code, out = check(text)
    assert code == 1
    assert out == [
        f"content.yaml:{line_number(text, 'banner-old.png')} greetings.zalo_follow.image: "
        "image file 'assets/images/banner-old.png' not found — put the file there or fix "
        f"the path (relative to ./ or {content_path.parent.parent.resolve()}/)"
    ]


def test_several_mistakes_are_all_reported_in_file_order(check: Check) -> None:
    text = DEMO.read_text(encoding="utf-8")
    text = edit_text(text, "weight: 15, stock: 200", 'weight: "abc", stock: 200')
    text = edit_text(text, "  phone_saved:", "  phone_savd:")
    text = edit_text(text, "{name: Gold, min_points: 1000", "{name: Gold, min_points: 400")
    code, out = check(text)
    assert code == 1
    assert [line.split(" ")[1] for line in out] == [
        "games[0].prizes[1].weight:",
        "loyalty.tiers[2].min_points:",
        "texts.phone_savd:",
    ]
    numbers = [int(line.split(" ")[0].split(":")[1]) for line in out]
    assert numbers == sorted(numbers)


def test_empty_file(check: Check) -> None:
    code, out = check("")
    assert code == 1
    assert out == [
        "content.yaml:1 (file): the file is empty — start from the demo file "
        "config/content.yaml (greetings:, menu:, …)"
    ]


def test_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.content.check import run_check

    monkeypatch.chdir(tmp_path)
    assert run_check(None, Path("nope.yaml")) == 1
    assert capsys.readouterr().out.splitlines() == [
        "nope.yaml:1 (file): file not found — create it or pass the right path"
    ]


def test_valid_copy_prints_ok(check: Check) -> None:
    code, out = check(DEMO.read_text(encoding="utf-8"))
    assert (code, out) == (0, ["OK: content.yaml"])
