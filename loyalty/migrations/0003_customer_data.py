from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    """Customer data: member source, birthday, joined_at, tags, RFM rows and segments."""

    dependencies = [('loyalty', '0002_prize_stock_shards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MemberRfm',
            fields=[
                ('member_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('orders_total', fields.IntField(default=0)),
                ('spend_total', fields.BigIntField(default=0)),
                ('orders_window', fields.IntField(default=0)),
                ('spend_window', fields.BigIntField(default=0)),
                ('last_order_day', fields.IntField(null=True)),
                ('r', fields.SmallIntField(null=True)),
                ('f', fields.SmallIntField(null=True)),
                ('m', fields.SmallIntField(null=True)),
                ('segment', fields.CharField(null=True, max_length=32)),
                ('stage', fields.CharField(default='A', max_length=1)),
                ('refreshed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_rfm', 'app': 'loyalty', 'indexes': [Index(fields=['last_order_day']), Index(fields=['orders_window']), Index(fields=['spend_window'])], 'pk_attr': 'member_id', 'table_description': "One live member's order figures, RFM scores, named segment and AIPL stage."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberTag',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='tags', on_delete=OnDelete.CASCADE)),
                ('tag', fields.CharField(max_length=64)),
            ],
            options={'table': 'member_tag', 'app': 'loyalty', 'unique_together': (('member_id', 'tag'),), 'indexes': [Index(fields=['tag'])], 'pk_attr': 'id', 'table_description': 'A label on a member (`vip`, `khách sỉ`), from an import or the admin API.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RfmCut',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dimension', fields.CharField(max_length=1)),
                ('score', fields.SmallIntField()),
                ('min_value', fields.BigIntField()),
            ],
            options={'table': 'rfm_cut', 'app': 'loyalty', 'unique_together': (('dimension', 'score'),), 'pk_attr': 'id', 'table_description': 'The lowest value that reached each score at the last full refresh, per dimension'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SegmentDirty',
            fields=[
                ('member_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
            ],
            options={'table': 'segment_dirty', 'app': 'loyalty', 'pk_attr': 'member_id', 'table_description': 'Members whose segments must be recomputed: an order came while a full refresh ran.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SegmentInfo',
            fields=[
                ('segment_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('name', fields.CharField(default='', max_length=128)),
                ('members', fields.IntField(default=0)),
                ('refreshed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'segment_info', 'app': 'loyalty', 'pk_attr': 'segment_id', 'table_description': "A segment's size and when it was last recomputed (for the segment list)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SegmentMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('segment_id', fields.CharField(max_length=64)),
                ('member_id', fields.BigIntField()),
                ('refreshed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'segment_member', 'app': 'loyalty', 'unique_together': (('segment_id', 'member_id'),), 'indexes': [Index(fields=['member_id'])], 'pk_attr': 'id', 'table_description': "Membership of a member in a segment, as of the segment's last refresh."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='birthday',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Member',
            name='joined_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Member',
            name='source',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Order',
            name='source',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['member_id', 'paid_at']),
        ),
    ]
