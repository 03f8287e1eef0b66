from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Console users, their sessions, and the content file's version history."""

    dependencies = [("bot", "0004_outreach")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ConsoleUser",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("email", fields.CharField(unique=True, max_length=254)),
                ("role", fields.CharField(max_length=16)),
                ("password_hash", fields.CharField(max_length=255)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "console_user", "app": "bot", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ConsoleSession",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("user_id", fields.BigIntField(db_index=True)),
                ("csrf_token", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "console_session", "app": "bot", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ContentVersion",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("sha256", fields.CharField(max_length=64)),
                ("text", fields.TextField(unique=False)),
                ("saved_by", fields.CharField(default="", max_length=254)),
                ("note", fields.CharField(default="save", max_length=32)),
                ("saved_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "content_version", "app": "bot", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
