from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """A failed inbox event waits for `next_attempt_at` before it is tried again."""

    dependencies = [("bot", "0002_outbox_user_index")]

    initial = False

    operations = [
        ops.AddField(
            model_name="InboxEvent",
            name="next_attempt_at",
            field=fields.DatetimeField(null=True),
        ),
    ]
