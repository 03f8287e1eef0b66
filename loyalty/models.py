"""Loyalty tables: members, identities, the points ledger, vouchers, prize stock and plays.

Money-like state is written only by the services in this package. Every counter that must
never go negative has a CHECK constraint, so a bug elsewhere fails loudly at the database
instead of over-allocating. Docstrings here avoid semicolons (a Tortoise migration quirk).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

IDENTITY_KINDS = ("zalo_oa", "zalo_app", "miniapp", "messenger", "phone")
POINTS_KINDS = ("earn", "redeem", "adjust", "expire", "reversal", "import")
CONSENT_PURPOSES = ("membership_phone", "marketing")
MEMBER_SOURCES = ("zalo_follow", "messenger", "miniapp", "import", "pos", "referral")
"""How a member first came (`Member.source`); a QR or link ref (`qr:<ref>`) is allowed too."""


class Member(Model):
    """One person across channels. The balance is a cache of the ledger, guarded by CHECK."""

    id = fields.BigIntField(primary_key=True)
    member_code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=128, null=True)
    phone = fields.CharField(max_length=16, unique=True, null=True)
    tier = fields.CharField(max_length=32, default="")
    tier_updated_at = fields.DatetimeField(null=True)
    points_earned = fields.IntField(default=0)
    points_balance = fields.IntField(default=0)
    merged_into: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name=False, null=True, on_delete=fields.NO_ACTION
    )  # NO ACTION, not RESTRICT: checked at statement end, so one DELETE can clear the table
    # The latest marketing decision of the consent ledger (`loyalty.consent`), written in the
    # same transaction as the ledger row. False until the person explicitly opts in.
    marketing_opt_in = fields.BooleanField(default=False)
    # Set when the person's data was erased (`loyalty.privacy.erase`): the row stays, empty,
    # so the ledgers pointing at it still add up.
    erased_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    source = fields.CharField(max_length=64, null=True)  # how they first came, set once
    birthday = fields.DateField(null=True)
    joined_at = fields.DatetimeField(null=True)  # from an import: when they joined the shop

    class Meta:
        table = "member"
        indexes = (("merged_into_id",),)  # a person's merged members (consent, export, erase)
        constraints = (
            CheckConstraint(check="points_balance >= 0", name="member_points_balance_nonneg"),
            CheckConstraint(check="points_earned >= 0", name="member_points_earned_nonneg"),
        )


class MemberIdentity(Model):
    """A platform id (Zalo OA user, Zalo app user, Messenger PSID, phone) pointing at a member."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="identities", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    value = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member_identity"
        unique_together = (("kind", "value"),)


class PointsEntry(Model):
    """Append-only points ledger. `(kind, ref)` is unique so a replayed credit is a no-op.

    `earned_delta` is the row's effect on tier qualification (points earned), which can differ
    from `amount`: a redeem spends balance but does not lower the tier, a refund does.
    """

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="points_entries", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=16)
    amount = fields.IntField()
    balance_after = fields.IntField()
    earned_delta = fields.IntField(default=0)
    reason = fields.CharField(max_length=255, default="")
    ref = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_entry"
        unique_together = (("kind", "ref"),)
        indexes = (("member_id", "created_at"),)
        constraints = (
            CheckConstraint(check="balance_after >= 0", name="points_entry_after_nonneg"),
        )


class Voucher(Model):
    """An issued voucher. `source_ref` is unique so each reward is issued exactly once."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="vouchers", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=16, default="amount")
    value = fields.IntField()
    min_order = fields.BigIntField(default=0)
    title = fields.CharField(max_length=128, default="")
    source = fields.CharField(max_length=32)
    source_ref = fields.CharField(max_length=128, unique=True, null=True)
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    redeemed_at = fields.DatetimeField(null=True)
    redeemed_ref = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "voucher"
        indexes = (("member_id", "expires_at"),)
        constraints = (CheckConstraint(check="value > 0", name="voucher_value_positive"),)


class PrizeStock(Model):
    """One shard of a prize's awardable units, claimed by conditional UPDATE.

    A prize's stock is split over a few rows (`shard` 0..n-1) so that concurrent winners lock
    different rows instead of queueing on one; each row has its own CHECK, and the prize's
    remaining and awarded units are the sums (`loyalty.stock`). `stock_total` is the prize's
    announced stock at the last sync, the same on every shard.
    """

    id = fields.BigIntField(primary_key=True)
    game_id = fields.CharField(max_length=64)
    prize_id = fields.CharField(max_length=64)
    shard = fields.SmallIntField(default=0)
    stock_total = fields.IntField()
    remaining = fields.IntField()
    awarded = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "prize_stock"
        unique_together = (("game_id", "prize_id", "shard"),)
        constraints = (
            CheckConstraint(check="remaining >= 0", name="prize_stock_remaining_nonneg"),
            CheckConstraint(check="awarded >= 0", name="prize_stock_awarded_nonneg"),
        )


class PrizeDailyCount(Model):
    """Units of a prize awarded on one Vietnam-time day, for `daily_cap`."""

    id = fields.BigIntField(primary_key=True)
    game_id = fields.CharField(max_length=64)
    prize_id = fields.CharField(max_length=64)
    day = fields.DateField()
    awarded = fields.IntField(default=0)

    class Meta:
        table = "prize_daily_count"
        unique_together = (("game_id", "prize_id", "day"),)
        constraints = (CheckConstraint(check="awarded >= 0", name="prize_daily_count_nonneg"),)


class Play(Model):
    """One play of one game by one member. `(member, game_id, idempotency_key)` is unique."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="plays", on_delete=fields.RESTRICT
    )
    game_id = fields.CharField(max_length=64)
    game_type = fields.CharField(max_length=16, default="wheel")
    game_version = fields.CharField(max_length=32)
    idempotency_key = fields.CharField(max_length=128)
    day = fields.DateField()
    status = fields.CharField(max_length=16, default="done")
    prize_id = fields.CharField(max_length=64, null=True)
    is_win = fields.BooleanField(default=False)
    slice_index = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "play"
        unique_together = (("member_id", "game_id", "idempotency_key"),)
        indexes = (("member_id", "game_id", "day"),)


class QuizAttempt(Model):
    """A quiz play in progress: the sampled questions (a snapshot) and server issue times."""

    id = fields.BigIntField(primary_key=True)
    play: fields.OneToOneRelation[Play] = fields.OneToOneField(
        "loyalty.Play", related_name="quiz", on_delete=fields.RESTRICT
    )
    questions: Any = fields.JSONField()
    issued_at: Any = fields.JSONField()
    answers: Any = fields.JSONField()
    seconds_per_question = fields.IntField()
    score = fields.IntField(null=True)

    class Meta:
        table = "quiz_attempt"


class Award(Model):
    """A claimed prize unit. One per play at most (UNIQUE play)."""

    id = fields.BigIntField(primary_key=True)
    play: fields.OneToOneRelation[Play] = fields.OneToOneField(
        "loyalty.Play", related_name="award", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="awards", on_delete=fields.RESTRICT
    )
    game_id = fields.CharField(max_length=64)
    prize_id = fields.CharField(max_length=64)
    voucher: fields.ForeignKeyNullableRelation[Voucher] = fields.ForeignKeyField(
        "loyalty.Voucher", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "award"
        indexes = (("game_id", "prize_id"),)


class DrawLog(Model):
    """Immutable audit row per draw: who, when, rules version, the stock seen, roll, result.

    Plain ids (no foreign keys) so the row keeps the original player even after a merge.
    The database refuses UPDATE and DELETE on it (triggers, migration 0004), and
    `loyalty.promotions.chain` seals each row into its campaign's hash chain (`DrawChain`).
    """

    id = fields.BigIntField(primary_key=True)
    play_id = fields.BigIntField(unique=True)
    member_id = fields.BigIntField()
    member_code = fields.CharField(max_length=16)
    game_id = fields.CharField(max_length=64)
    game_version = fields.CharField(max_length=32)
    available: Any = fields.JSONField()
    rng = fields.CharField(max_length=64)
    roll = fields.FloatField(null=True)
    drawn_prize_id = fields.CharField(max_length=64, null=True)
    prize_id = fields.CharField(max_length=64)
    is_win = fields.BooleanField()
    detail: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "draw_log"
        indexes = (("game_id", "created_at"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise RuntimeError("draw_log rows are immutable")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("draw_log rows are immutable")


class DrawChain(Model):
    """A draw log row sealed into its campaign's hash chain: append-only like the log.

    `content_hash` is the SHA-256 of the draw row's canonical content, `entry_hash` the
    SHA-256 of the previous entry's `entry_hash` and this `content_hash`. An edited, deleted
    or re-ordered draw row no longer matches (`python -m bot promotions verify`).
    """

    id = fields.BigIntField(primary_key=True)
    game_id = fields.CharField(max_length=64)
    seq = fields.BigIntField()
    draw_log_id = fields.BigIntField(unique=True)
    content_hash = fields.CharField(max_length=64)
    prev_hash = fields.CharField(max_length=64)
    entry_hash = fields.CharField(max_length=64)
    sealed_at = fields.DatetimeField()

    class Meta:
        table = "draw_chain"
        unique_together = (("game_id", "seq"),)


class DrawUnsealed(Model):
    """A draw log row waiting to be sealed: written by the play, removed by the sealer.

    A small queue instead of a scan for rows without a seal, so sealing costs the same on a
    campaign of 500,000 draws as on one of 50, and a play that commits late is never skipped.
    """

    draw_log_id = fields.BigIntField(primary_key=True, generated=False)
    game_id = fields.CharField(max_length=64)

    class Meta:
        table = "draw_unsealed"


class Order(Model):
    """A paid order from the POS. `order_id` is unique so a replay changes nothing."""

    id = fields.BigIntField(primary_key=True)
    order_id = fields.CharField(max_length=128, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="orders", on_delete=fields.RESTRICT
    )
    amount = fields.BigIntField()
    paid_at = fields.DatetimeField()
    points = fields.IntField()
    balance_after = fields.IntField()
    tier_after = fields.CharField(max_length=32, default="")
    result: Any = fields.JSONField(default=dict)  # the first answer, replayed on duplicates
    status = fields.CharField(max_length=16, default="paid")
    points_reversed = fields.IntField(default=0)
    refunded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    source = fields.CharField(max_length=32, null=True)  # pos, import, a shop connector

    class Meta:
        table = "pos_order"
        indexes = (("member_id", "paid_at"),)
        constraints = (
            CheckConstraint(check="amount >= 0", name="pos_order_amount_nonneg"),
            CheckConstraint(check="points >= 0", name="pos_order_points_nonneg"),
        )


class ConsentRecord(Model):
    """Append-only consent ledger: one row per decision (grant or withdrawal) of one purpose.

    Keeps what was shown (`text` and its `text_version` hash), when, through which channel and
    how, as the evidence the law asks for. The member's current state is the newest row.
    """

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="consents", on_delete=fields.RESTRICT
    )
    purpose = fields.CharField(max_length=32)
    granted = fields.BooleanField()
    channel = fields.CharField(max_length=16)
    method = fields.CharField(max_length=32)
    text = fields.TextField()
    text_version = fields.CharField(max_length=16)
    recorded_by = fields.CharField(max_length=64, default="member")
    created_at = fields.DatetimeField()

    class Meta:
        table = "consent_record"
        indexes = (("member_id", "purpose", "created_at"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise RuntimeError("consent_record rows are append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("consent_record rows are append-only")


class AuditEntry(Model):
    """Append-only audit log of writes through the admin API and the console.

    Who (`actor_kind` api_key or user, `actor_id`, `actor_role`), what (`action`, the HTTP
    `status`), when (`at`) and on what (`target`). The database refuses UPDATE on both
    dialects and DELETE on PostgreSQL (a trigger), the model refuses both.
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor_kind = fields.CharField(max_length=16)
    actor_id = fields.CharField(max_length=64)
    actor_role = fields.CharField(max_length=16)
    source = fields.CharField(max_length=16, default="api")
    action = fields.CharField(max_length=96)
    target = fields.CharField(max_length=128, default="")
    status = fields.SmallIntField(default=0)
    detail: Any = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"
        # Pages are newest first by id; each filter has its own (column, id) index.
        indexes = (("at",), ("actor_id", "id"), ("action", "id"), ("target", "id"))

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise RuntimeError("audit_entry rows are append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit_entry rows are append-only")


class MemberTag(Model):
    """A label on a member (`vip`, `khách sỉ`), from an import or the admin API."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "loyalty.Member", related_name="tags", on_delete=fields.CASCADE
    )
    tag = fields.CharField(max_length=64)

    class Meta:
        table = "member_tag"
        unique_together = (("member_id", "tag"),)
        indexes = (("tag",),)


class MemberRfm(Model):
    """One live member's order figures, RFM scores, named segment and AIPL stage.

    Written only by `loyalty.segments` (set-based, all members at once or one member right
    after an order). `last_order_day` is a day number (Vietnam days since 1970) so that ranks
    do not depend on when the row was computed.
    """

    member_id = fields.BigIntField(primary_key=True, generated=False)
    orders_total = fields.IntField(default=0)
    spend_total = fields.BigIntField(default=0)
    orders_window = fields.IntField(default=0)
    spend_window = fields.BigIntField(default=0)
    last_order_day = fields.IntField(null=True)
    r = fields.SmallIntField(null=True)
    f = fields.SmallIntField(null=True)
    m = fields.SmallIntField(null=True)
    segment = fields.CharField(max_length=32, null=True)
    stage = fields.CharField(max_length=1, default="A")
    refreshed_at = fields.DatetimeField()

    class Meta:
        table = "member_rfm"
        indexes = (("last_order_day",), ("orders_window",), ("spend_window",))


class RfmCut(Model):
    """The lowest value that reached each score at the last full refresh, per dimension
    (`r`: last order day, `f`: orders in the window, `m`: spend in the window), so one member
    is scored right after an order without ranking everybody again."""

    id = fields.BigIntField(primary_key=True)
    dimension = fields.CharField(max_length=1)
    score = fields.SmallIntField()
    min_value = fields.BigIntField()

    class Meta:
        table = "rfm_cut"
        unique_together = (("dimension", "score"),)


class SegmentMember(Model):
    """Membership of a member in a segment, as of the segment's last refresh."""

    id = fields.BigIntField(primary_key=True)
    segment_id = fields.CharField(max_length=64)
    member_id = fields.BigIntField()
    refreshed_at = fields.DatetimeField()

    class Meta:
        table = "segment_member"
        unique_together = (("segment_id", "member_id"),)
        indexes = (("member_id",),)


class SegmentInfo(Model):
    """A segment's size and when it was last recomputed (for the segment list)."""

    segment_id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=128, default="")
    members = fields.IntField(default=0)
    refreshed_at = fields.DatetimeField()

    class Meta:
        table = "segment_info"


class SegmentDirty(Model):
    """Members whose segments must be recomputed: an order came while a full refresh ran."""

    member_id = fields.BigIntField(primary_key=True, generated=False)

    class Meta:
        table = "segment_dirty"


# Model order for Tortoise discovery: children before parents, so a plain `DELETE FROM` of each
# table in this order (the test fixtures on SQLite) never trips a RESTRICT foreign key.
__models__ = [
    AuditEntry,
    ConsentRecord,
    DrawUnsealed,
    DrawChain,
    SegmentDirty,
    SegmentInfo,
    SegmentMember,
    RfmCut,
    MemberRfm,
    MemberTag,
    DrawLog,
    Award,
    QuizAttempt,
    Play,
    PointsEntry,
    Order,
    Voucher,
    MemberIdentity,
    PrizeDailyCount,
    PrizeStock,
    Member,
]
