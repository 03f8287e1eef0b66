from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

from loyalty.append_only import install_append_only

class Migration(migrations.Migration):
    """Privacy: the consent ledger, the audit log (both append-only), Member.marketing_opt_in and erased_at."""

    dependencies = [('loyalty', '0004_promotion_ledger')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_kind', fields.CharField(max_length=16)),
                ('actor_id', fields.CharField(max_length=64)),
                ('actor_role', fields.CharField(max_length=16)),
                ('source', fields.CharField(default='api', max_length=16)),
                ('action', fields.CharField(max_length=96)),
                ('target', fields.CharField(default='', max_length=128)),
                ('status', fields.SmallIntField(default=0)),
                ('detail', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'loyalty', 'indexes': [Index(fields=['at']), Index(fields=['actor_id', 'id']), Index(fields=['action', 'id']), Index(fields=['target', 'id'])], 'pk_attr': 'id', 'table_description': 'Append-only audit log of writes through the admin API and the console.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.RESTRICT)),
                ('purpose', fields.CharField(max_length=32)),
                ('granted', fields.BooleanField()),
                ('channel', fields.CharField(max_length=16)),
                ('method', fields.CharField(max_length=32)),
                ('text', fields.TextField(unique=False)),
                ('text_version', fields.CharField(max_length=16)),
                ('recorded_by', fields.CharField(default='member', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_record', 'app': 'loyalty', 'indexes': [Index(fields=['member_id', 'purpose', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Append-only consent ledger: one row per decision (grant or withdrawal) of one purpose.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='erased_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Member',
            name='marketing_opt_in',
            field=fields.BooleanField(default=False),
        ),
        ops.AddIndex(model_name='Member', index=Index(fields=['merged_into_id'])),
        ops.RunPython(install_append_only("audit_entry", "consent_record")),
    ]
