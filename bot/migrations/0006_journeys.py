from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Journeys: enrolments (with the due-time index the scheduler claims by) and step runs
    (the step-run key, and the weekly cap's index)."""

    dependencies = [("bot", "0005_console")]

    initial = False

    operations = [
        ops.CreateModel(
            name="JourneyEnrolment",
            fields=[
                ("id", fields.BigIntField(primary_key=True)),
                ("journey_id", fields.CharField(max_length=64)),
                ("member_id", fields.BigIntField()),
                ("entry_no", fields.IntField(default=1)),
                ("state", fields.CharField(max_length=16, default="active")),
                ("step_id", fields.CharField(max_length=191, null=True)),
                ("due_at", fields.DatetimeField(null=True)),
                ("claimed_by", fields.CharField(max_length=64, null=True)),
                ("entered_at", fields.DatetimeField()),
                ("convert_until", fields.DatetimeField()),
                ("finished_at", fields.DatetimeField(null=True)),
                ("exit_reason", fields.CharField(max_length=32, null=True)),
                ("ref", fields.CharField(max_length=128, null=True)),
            ],
            options={
                "table": "journey_enrolment",
                "unique_together": (("journey_id", "member_id", "entry_no"),),
                "indexes": (("state", "due_at"), ("journey_id", "state"), ("member_id", "state")),
            },
        ),
        ops.CreateModel(
            name="JourneyStepRun",
            fields=[
                ("id", fields.BigIntField(primary_key=True)),
                ("enrolment_id", fields.BigIntField()),
                ("journey_id", fields.CharField(max_length=64)),
                ("step_id", fields.CharField(max_length=191)),
                ("kind", fields.CharField(max_length=16)),
                ("member_id", fields.BigIntField()),
                ("status", fields.CharField(max_length=16)),
                ("reason", fields.CharField(max_length=64, null=True)),
                ("purpose", fields.CharField(max_length=16, null=True)),
                ("channel", fields.CharField(max_length=16, null=True)),
                ("sent_at", fields.DatetimeField(null=True)),
                ("created_at", fields.DatetimeField()),
            ],
            options={
                "table": "journey_step_run",
                "unique_together": (("enrolment_id", "step_id"),),
                "indexes": (("journey_id", "step_id"), ("member_id", "purpose", "sent_at")),
            },
        ),
    ]
