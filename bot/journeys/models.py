"""The journey tables: one row per entry of a member into a journey, one per step it ran.

Registered in the `bot` Tortoise app through `bot.models` (which re-exports them).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class JourneyEnrolment(Model):
    """A member's entry into a journey and where it stands.

    `state`: active (steps to run; `step_id` is the next one, due at `due_at`), holdout (the
    control group: nothing is run, only conversions are counted), completed, exited. The
    unique `(journey_id, member_id, entry_no)` makes a second trigger a no-op: the n-th entry
    can be written once. A worker claims due rows by moving `due_at` past its lease, so the
    rows of a worker that died come due again by themselves.
    """

    id = fields.BigIntField(primary_key=True)
    journey_id = fields.CharField(max_length=64)
    member_id = fields.BigIntField()
    entry_no = fields.IntField(default=1)
    state = fields.CharField(max_length=16, default="active")
    step_id = fields.CharField(max_length=191, null=True)
    due_at = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=64, null=True)
    entered_at = fields.DatetimeField()
    convert_until = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    exit_reason = fields.CharField(max_length=32, null=True)
    ref = fields.CharField(max_length=128, null=True)  # what triggered it (order:12, voucher:3)

    class Meta:
        table = "journey_enrolment"
        unique_together = (("journey_id", "member_id", "entry_no"),)
        indexes = (("state", "due_at"), ("journey_id", "state"), ("member_id", "state"))


class JourneyStepRun(Model):
    """One step of one enrolment, run once: the unique `(enrolment_id, step_id)` is the
    step-run key. Sends are recorded with member, purpose, status and `sent_at`, so the
    weekly promotion cap counts journey promotions like broadcast ones."""

    id = fields.BigIntField(primary_key=True)
    enrolment_id = fields.BigIntField()
    journey_id = fields.CharField(max_length=64)
    step_id = fields.CharField(max_length=191)
    kind = fields.CharField(max_length=16)
    member_id = fields.BigIntField()
    status = fields.CharField(max_length=16)  # done | sent | skipped
    reason = fields.CharField(max_length=64, null=True)
    purpose = fields.CharField(max_length=16, null=True)
    channel = fields.CharField(max_length=16, null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "journey_step_run"
        unique_together = (("enrolment_id", "step_id"),)
        indexes = (("journey_id", "step_id"), ("member_id", "purpose", "sent_at"))
