from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Outreach: a purpose on every outbox row, broadcasts and their frozen audiences."""

    dependencies = [("bot", "0003_inbox_retry_at")]

    initial = False

    operations = [
        ops.AddField(
            model_name="OutboxMessage",
            name="purpose",
            field=fields.CharField(max_length=16, default="reply"),
        ),
        ops.CreateModel(
            name="Broadcast",
            fields=[
                ("id", fields.BigIntField(primary_key=True)),
                ("name", fields.CharField(max_length=200)),
                ("segment", fields.CharField(max_length=64)),
                ("purpose", fields.CharField(max_length=16)),
                ("message", fields.JSONField()),
                ("status", fields.CharField(max_length=16, default="scheduled", db_index=True)),
                ("send_at", fields.DatetimeField(null=True)),
                ("idempotency_key", fields.CharField(max_length=191, null=True, unique=True)),
                ("audience", fields.IntField(null=True)),
                ("frozen_at", fields.DatetimeField(null=True)),
                ("created_at", fields.DatetimeField(auto_now_add=True)),
                ("finished_at", fields.DatetimeField(null=True)),
            ],
            options={"table": "broadcast"},
        ),
        ops.CreateModel(
            name="BroadcastRecipient",
            fields=[
                ("id", fields.BigIntField(primary_key=True)),
                ("broadcast_id", fields.BigIntField()),
                ("member_id", fields.BigIntField()),
                ("status", fields.CharField(max_length=16, default="pending")),
                ("reason", fields.CharField(max_length=255, null=True)),
                ("channel", fields.CharField(max_length=16, null=True)),
                ("purpose", fields.CharField(max_length=16, default="promotion")),
                ("claimed_by", fields.CharField(max_length=64, null=True)),
                ("claimed_at", fields.DatetimeField(null=True)),
                ("sent_at", fields.DatetimeField(null=True)),
                ("platform_message_id", fields.CharField(max_length=128, null=True)),
            ],
            options={
                "table": "broadcast_recipient",
                "unique_together": (("broadcast_id", "member_id"),),
                "indexes": (("broadcast_id", "status"), ("member_id", "purpose", "sent_at")),
            },
        ),
        ops.CreateModel(
            name="OutreachCursor",
            fields=[
                ("name", fields.CharField(max_length=64, primary_key=True)),
                ("value", fields.CharField(max_length=64)),
            ],
            options={"table": "outreach_cursor"},
        ),
    ]
