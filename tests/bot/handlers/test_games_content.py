"""Content file variants for the chat game tests: the demo file with small, forced games."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def _voucher(value: int) -> dict[str, Any]:
    return {"value": value, "valid_days": 30}


def game_content(*, stock: int = 5, plays_per_day: int = 1, ended: bool = False) -> dict[str, Any]:
    """The demo file with small games: one prize with weight 100 and `stock` units (5: every
    play wins; 0: sold out, every play gets the no-prize outcome). `ended`: the wheel's
    campaign is over."""
    prize = {"id": "v50k", "label": "Voucher 50K", "weight": 100, "stock": stock}
    none = {"id": "none", "label": "Chúc may mắn lần sau", "weight": 0, "stock": None}
    return {
        "menu": [
            {"title": "Vòng quay may mắn", "action": "game:lucky-wheel"},
            {"title": "Cào thẻ trúng quà", "action": "game:scratch-card"},
            {"title": "Đố vui cà phê", "action": "game:quiz"},
            {"title": "Thẻ thành viên", "action": "card"},
        ],
        "games": [
            {
                "id": "lucky-wheel",
                "type": "wheel",
                "title": "Vòng quay may mắn",
                "description": "Mỗi ngày một lượt quay",
                "plays_per_day": plays_per_day,
                "prizes": [{**prize, "voucher": _voucher(50000)}, none],
                **(
                    {"start": "2020-01-01T00:00:00", "end": "2020-02-01T00:00:00"} if ended else {}
                ),
            },
            {
                "id": "scratch-card",
                "type": "scratch",
                "title": "Cào thẻ trúng quà",
                "plays_per_day": plays_per_day,
                "prizes": [{**prize, "voucher": _voucher(50000)}, none],
            },
            {
                "id": "quiz",
                "type": "quiz",
                "title": "Đố vui cà phê",
                "plays_per_day": plays_per_day,
                "prizes": [
                    {
                        "id": "v30k",
                        "label": "Voucher 30K",
                        "weight": 0,
                        "stock": stock,
                        "voucher": _voucher(30000),
                    },
                    {**none},
                ],
                "quiz": {
                    "questions_per_play": 2,
                    "seconds_per_question": 20,
                    "thresholds": [{"min_score": 2, "prize": "v30k"}],
                    "questions": [
                        {
                            "question": "Cà phê sữa đá pha bằng gì?",
                            "options": ["Phin", "Máy espresso", "Ấm moka"],
                            "correct": 0,
                        },
                        {
                            "question": "Giống cà phê trồng nhiều nhất?",
                            "options": ["Arabica", "Robusta", "Liberica", "Excelsa"],
                            "correct": 1,
                        },
                    ],
                },
            },
        ],
    }


def write_content(path: Path, **overrides: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(game_content(**overrides))
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
