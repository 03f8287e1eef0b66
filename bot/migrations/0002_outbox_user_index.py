from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The outbox sender's lookup of one user's pending messages gets its own index."""

    dependencies = [("bot", "0001_initial")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="OutboxMessage",
            index=Index(fields=["channel", "account_id", "user_id", "status"]),
        ),
    ]
