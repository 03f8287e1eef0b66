"""Campaigns shaped like the ones admins write in the content file's `games:` section."""

from __future__ import annotations

from typing import Any

import pytest

from games.config import Game

VIETNAMESE = "Chúc mừng! Bạn trúng Voucher 50K — ưu đãi đặc biệt"


def make_game(**overrides: Any) -> Game:
    data: dict[str, Any] = {
        "id": "lucky-wheel",
        "type": "wheel",
        "title": "Vòng quay may mắn",
        "prizes": [
            {"id": "v50k", "label": "Voucher 50K", "weight": 10, "stock": 100},
            {"id": "v20k", "label": "Giảm 20K", "weight": 20, "stock": 100, "daily_cap": 5},
            {"id": "tea", "label": "Ly trà sữa miễn phí", "weight": 5, "stock": 3},
            {"id": "none", "label": "Chúc may mắn lần sau", "weight": 65, "stock": None},
        ],
    }
    data.update(overrides)
    return Game.model_validate(data)


def six_slice_game() -> Game:
    labels = [
        "Voucher 50K",
        "Chúc may mắn lần sau",
        "Giảm 20%",
        "Freeship",
        "Quà bí mật",
        "Thêm lượt",
    ]
    prizes = [
        {"id": f"p{i}", "label": label, "weight": 1, "stock": None if i == 1 else 10}
        for i, label in enumerate(labels)
    ]
    return make_game(prizes=prizes)


def quiz_game(**quiz_overrides: Any) -> Game:
    questions = [
        {"question": f"Câu hỏi số {i}?", "options": ["Một", "Hai", "Ba", "Bốn"], "correct": i % 4}
        for i in range(8)
    ]
    quiz: dict[str, Any] = {
        "questions": questions,
        "questions_per_play": 3,
        "seconds_per_question": 20,
        "thresholds": [
            {"min_score": 2, "prize": "small"},
            {"min_score": 3, "prize": "big"},
        ],
    }
    quiz.update(quiz_overrides)
    return make_game(
        id="quiz-tet",
        type="quiz",
        title="Đố vui ngày Tết",
        prizes=[
            {"id": "big", "label": "Voucher 100K", "weight": 0, "stock": 5},
            {"id": "small", "label": "Voucher 20K", "weight": 0, "stock": 50},
            {"id": "none", "label": "Chúc may mắn lần sau", "weight": 0, "stock": None},
        ],
        quiz=quiz,
    )


@pytest.fixture
def game() -> Game:
    return make_game()
