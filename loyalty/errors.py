"""One exception hierarchy for the loyalty engine.

Every error has a stable `code` (the API's problem+json `code`) and an HTTP `status` the API
layer uses as is. Messages are for operators and logs, in English: what users read lives in
the content file, keyed by `code`.
"""

from __future__ import annotations

from datetime import datetime


class LoyaltyError(Exception):
    code = "loyalty_error"
    status = 400

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code.replace("_", " "))
        self.detail = str(self)


class NotFound(LoyaltyError):
    code = "not_found"
    status = 404


class MemberNotFound(NotFound):
    code = "member_not_found"


class VoucherNotFound(NotFound):
    code = "voucher_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class PlayNotFound(NotFound):
    code = "play_not_found"


class InvalidInput(LoyaltyError):
    code = "invalid_input"
    status = 422


class InvalidPhone(InvalidInput):
    code = "invalid_phone"


class InvalidIdentity(InvalidInput):
    code = "invalid_identity"


class InvalidVoucherCode(InvalidInput):
    """The code fails its check character: a typo, not an unknown voucher."""

    code = "invalid_voucher_code"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class Conflict(LoyaltyError):
    code = "conflict"
    status = 409


class VoucherAlreadyRedeemed(Conflict):
    code = "voucher_already_redeemed"

    def __init__(self, detail: str = "", *, redeemed_at: datetime | None = None) -> None:
        super().__init__(detail)
        self.redeemed_at = redeemed_at


class VoucherExpired(Conflict):
    code = "voucher_expired"

    def __init__(self, detail: str = "", *, expires_at: datetime | None = None) -> None:
        super().__init__(detail)
        self.expires_at = expires_at


class InsufficientPoints(Conflict):
    code = "insufficient_points"

    def __init__(self, detail: str = "", *, balance: int = 0, needed: int = 0) -> None:
        super().__init__(detail)
        self.balance = balance
        self.needed = needed


class GameNotActive(Conflict):
    """Outside the campaign's start/end window."""

    code = "game_not_active"


class WrongGameType(Conflict):
    """A quiz played through `play()`, or a wheel through `start_quiz()`."""

    code = "wrong_game_type"


class NoPlaysLeft(LoyaltyError):
    """The per-day or per-person play limit is reached.

    `next_play_at` is the next Vietnam midnight (UTC-aware), or None when the all-time limit
    is what stopped the play.
    """

    code = "no_plays_left"
    status = 429

    def __init__(self, detail: str = "", *, next_play_at: datetime | None = None) -> None:
        super().__init__(detail)
        self.next_play_at = next_play_at


class QuizError(Conflict):
    code = "quiz_error"


class QuizFinished(QuizError):
    code = "quiz_finished"


class QuizOutOfOrder(QuizError):
    code = "quiz_out_of_order"


class QrTokenError(LoyaltyError):
    code = "qr_token_invalid"
    status = 401


class QrTokenInvalid(QrTokenError):
    code = "qr_token_invalid"


class QrTokenExpired(QrTokenError):
    code = "qr_token_expired"
