from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('account_id', fields.CharField(max_length=64)),
                ('user_id', fields.CharField(max_length=64)),
                ('user_id_by_app', fields.CharField(null=True, max_length=64)),
                ('display_name', fields.CharField(null=True, max_length=128)),
                ('profile_fetched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_inbound_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('is_follower', fields.BooleanField(default=False)),
                ('followed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('greeted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reachable', fields.BooleanField(default=True)),
                ('unreachable_reason', fields.CharField(null=True, max_length=255)),
                ('member_id', fields.BigIntField(null=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contact', 'app': 'bot', 'unique_together': (('channel', 'account_id', 'user_id'),), 'pk_attr': 'id', 'table_description': 'A person as one channel sees them: window, reachability and cached profile.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('account_id', fields.CharField(max_length=64)),
                ('user_id', fields.CharField(max_length=64)),
                ('dedupe_key', fields.CharField(max_length=191)),
                ('event_name', fields.CharField(max_length=64)),
                ('body', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inbox_event', 'app': 'bot', 'unique_together': (('channel', 'dedupe_key'),), 'indexes': [Index(fields=['channel', 'user_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One platform event, stored before the webhook answers 200.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('account_id', fields.CharField(max_length=64)),
                ('user_id', fields.CharField(max_length=64)),
                ('dedupe_key', fields.CharField(null=True, unique=True, max_length=191)),
                ('method', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('promotional', fields.BooleanField(default=False)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('platform_message_id', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'bot', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['channel', 'platform_message_id'])], 'pk_attr': 'id', 'table_description': 'A rendered platform request waiting to be sent, never lost while a platform is down.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlatformToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('account_id', fields.CharField(max_length=64)),
                ('access_token', fields.TextField(unique=False)),
                ('refresh_token', fields.TextField(unique=False)),
                ('previous_refresh_token', fields.TextField(null=True, unique=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'platform_token', 'app': 'bot', 'unique_together': (('channel', 'account_id'),), 'pk_attr': 'id', 'table_description': 'The rotating OA token pair. Env values only seed it, and after a refresh this row wins.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SkippedSend',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('user_id', fields.CharField(max_length=64)),
                ('reason', fields.CharField(max_length=255)),
                ('outbox_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'skipped_send', 'app': 'bot', 'pk_attr': 'id', 'table_description': 'Why a message was not sent (outside the window, unreachable, refused): for humans.'},
            bases=['Model'],
        ),
    ]
