"""Request bodies, query strings and path parameters of `/api/v1`.

Unknown keys are ignored so older servers accept newer clients; every bound is explicit so
nothing unbounded (or a control character) ever reaches the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from loyalty import codes

# Printable text only: control characters (NUL above all) never reach a database.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
CODE = r"^[A-Za-z0-9 ._-]{1,32}$"  # member and voucher codes as staff type them
GAME_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"

Text = Annotated[str, Field(min_length=1, max_length=4096, pattern=PRINTABLE)]
# Tokens travel on in HTTP headers to Zalo: visible ASCII only.
Token = Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$")]
Code = Annotated[str, Field(pattern=CODE)]


class In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


# --- requests -------------------------------------------------------------------------------
class SessionIn(In):
    access_token: Token = Field(description="the Mini App's Zalo access token (getAccessToken)")


class PhoneIn(In):
    token: Token = Field(description="the token from the Mini App's getPhoneNumber()")
    access_token: Token | None = Field(
        None,
        description="the Mini App's current Zalo access token; optional: the one given at "
        "sign-in is kept on the server for the session",
    )


class PageQuery(In):
    limit: int = Field(20, ge=1, le=100, description="items per page (at most 100)")
    page: int = Field(1, ge=1, le=100_000, description="1-based page number")


class LimitQuery(In):
    limit: int = Field(20, ge=1, le=100, description="newest first, at most 100")


class QrQuery(In):
    token: Token = Field(description="a member QR token from GET /api/v1/me/card")


class AnswerIn(In):
    question_index: int = Field(ge=0, le=1000, description="0-based position in this play")
    option: int | None = Field(
        ge=0, le=100, description="0-based option chosen; null = no answer (time ran out)"
    )


class OrderIn(In):
    order_id: str = Field(min_length=1, max_length=128, pattern=PRINTABLE)
    amount: int = Field(gt=0, le=10**12, description="paid amount in VND")
    member_code: Code | None = None
    phone: str | None = Field(None, min_length=9, max_length=20, pattern=r"^[0-9 +().-]+$")
    paid_at: datetime | None = Field(
        None, description="ISO 8601; without an offset it is read as Vietnam time"
    )

    @model_validator(mode="after")
    def _who(self) -> OrderIn:
        if not self.member_code and not self.phone:
            raise ValueError("give member_code or phone")
        if self.member_code and len(codes.normalize(self.member_code)) > codes.MAX_LENGTH + 1:
            raise ValueError("member_code is longer than any member code")
        if self.paid_at is not None and not 2000 <= self.paid_at.year <= 2100:
            raise ValueError("paid_at must be between the years 2000 and 2100")
        return self


class TagsIn(In):
    tags: list[Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]] = Field(
        min_length=1, max_length=50, description="tags to add (POST) or remove (DELETE)"
    )


class SegmentPageQuery(In):
    limit: int = Field(50, ge=1, le=500, description="members per page (at most 500)")
    cursor: str | None = Field(
        None, pattern=r"^[0-9]{1,19}$", description="next_cursor of the previous page"
    )


class RedeemIn(In):
    ref: str | None = Field(
        None, max_length=128, pattern=PRINTABLE, description="e.g. the POS order id it paid for"
    )


# --- path parameters ------------------------------------------------------------------------
class GamePath(In):
    game_id: str = Field(pattern=GAME_ID)


class PlayPath(GamePath):
    play_id: int = Field(ge=1, le=2**62)


class OrderPath(In):
    order_id: str = Field(min_length=1, max_length=128, pattern=PRINTABLE)


class MemberKeyPath(In):
    key: str = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^[A-Za-z0-9 ._+()-]+$",
        description="member code, phone (84… or 0…) or a member QR token",
    )


class SegmentPath(In):
    segment_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")


class VoucherPath(In):
    code: Code
