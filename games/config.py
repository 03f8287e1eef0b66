"""Typed game campaigns as the admin writes them in the content file (`games:`).

Pure data: validated here, drawn in `games.draw`, rendered in `games.render`, and settled by
the prize engine in `loyalty/`. Texts shown to players stay in the content file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VoucherSpec(_Strict):
    """What voucher a prize (or a reward) issues."""

    value: int = Field(gt=0, description="VND off, or percent when kind=percent")
    valid_days: int = Field(gt=0, le=3650)
    kind: Literal["amount", "percent"] = "amount"
    min_order: int = Field(0, ge=0, description="minimum order value in VND")
    title: str | None = None  # shown in the card; defaults to the prize label

    @model_validator(mode="after")
    def _percent_range(self) -> VoucherSpec:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percent voucher's value must be at most 100")
        return self


class Prize(_Strict):
    """One outcome. `stock: null` makes it the no-prize outcome (never runs out)."""

    id: str = Field(pattern=SLUG)
    label: str = Field(min_length=1, max_length=40)
    weight: float = Field(ge=0)
    stock: int | None = Field(default=None, ge=0)
    daily_cap: int | None = Field(default=None, ge=0)
    voucher: VoucherSpec | None = None
    value: int | None = Field(
        default=None, ge=0, description="announced value of one unit in VND (promotion rules)"
    )
    color: str | None = Field(default=None, pattern=HEX_COLOR)

    @property
    def is_no_prize(self) -> bool:
        return self.stock is None

    @property
    def unit_value(self) -> int | None:
        """One unit's announced value in VND: `value`, else an amount voucher's value."""
        if self.value is not None:
            return self.value
        if self.voucher is not None and self.voucher.kind == "amount":
            return self.voucher.value
        return None


class QuizQuestion(_Strict):
    question: str = Field(min_length=1, max_length=300)
    options: list[str] = Field(min_length=2, max_length=4)
    correct: int = Field(ge=0, description="index into options")

    @model_validator(mode="after")
    def _correct_in_range(self) -> QuizQuestion:
        if self.correct >= len(self.options):
            raise ValueError(f"correct={self.correct} but there are {len(self.options)} options")
        return self


class ScoreThreshold(_Strict):
    min_score: int = Field(ge=0)
    prize: str = Field(pattern=SLUG)


class QuizSpec(_Strict):
    questions: list[QuizQuestion] = Field(min_length=1)
    questions_per_play: int = Field(3, ge=1)
    seconds_per_question: int = Field(20, ge=3, le=600)
    thresholds: list[ScoreThreshold] = Field(default_factory=list)

    @model_validator(mode="after")
    def _enough_questions(self) -> QuizSpec:
        if self.questions_per_play > len(self.questions):
            raise ValueError(
                f"questions_per_play={self.questions_per_play} but the bank has "
                f"{len(self.questions)} questions"
            )
        return self


class Game(_Strict):
    """A campaign: one wheel, scratch card or quiz with its prizes and play limits."""

    id: str = Field(pattern=SLUG)
    type: Literal["wheel", "scratch", "quiz"]
    title: str = Field(min_length=1, max_length=80)
    description: str = ""
    start: datetime | None = None
    end: datetime | None = None
    area: str = Field("", max_length=200, description="where it runs, for the public rules")
    plays_per_day: int = Field(1, ge=1, description="days in Asia/Ho_Chi_Minh")
    plays_total: int | None = Field(default=None, ge=1, description="per person, all time")
    prizes: list[Prize] = Field(min_length=1)
    quiz: QuizSpec | None = None
    _version: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _consistent(self) -> Game:
        ids = [p.id for p in self.prizes]
        if len(set(ids)) != len(ids):
            raise ValueError("prize ids must be unique within a game")
        if not any(p.is_no_prize for p in self.prizes):
            raise ValueError("a game needs one prize with stock: null (the no-prize outcome)")
        if self.type != "quiz" and sum(p.weight for p in self.prizes) <= 0:
            raise ValueError("prize weights must add up to more than 0")
        if self.type == "quiz" and self.quiz is None:
            raise ValueError("a quiz game needs a `quiz:` section")
        if self.quiz is not None:
            for t in self.quiz.thresholds:
                if t.prize not in ids:
                    raise ValueError(f"threshold prize {t.prize!r} is not one of {ids}")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    @property
    def no_prize(self) -> Prize:
        return next(p for p in self.prizes if p.is_no_prize)

    def prize(self, prize_id: str) -> Prize:
        return next(p for p in self.prizes if p.id == prize_id)

    def model_post_init(self, context: Any, /) -> None:
        # Hashed once here: every play logs the version, and hashing the dumped campaign each
        # time showed up in the plays profile. The model is frozen, so it cannot go stale
        # (build changed games with `model_validate`, not `model_copy(update=...)`).
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        self._version = hashlib.sha256(blob.encode()).hexdigest()[:16]

    def version(self) -> str:
        """A short hash of this campaign's config: logged with every draw, keys render caches."""
        return self._version
