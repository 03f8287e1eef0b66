from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from loyalty.append_only import install_append_only
from loyalty.migration_ops import queue_existing_draws
from loyalty.report_indexes import install_report_indexes

class Migration(migrations.Migration):
    """The draw log's hash chain and its sealing queue; UPDATE and DELETE refused on both logs;
    the orders index the reports read (loyalty/report_indexes.py)."""

    dependencies = [('loyalty', '0003_customer_data')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DrawChain',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('game_id', fields.CharField(max_length=64)),
                ('seq', fields.BigIntField()),
                ('draw_log_id', fields.BigIntField(unique=True)),
                ('content_hash', fields.CharField(max_length=64)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('entry_hash', fields.CharField(max_length=64)),
                ('sealed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'draw_chain', 'app': 'loyalty', 'unique_together': (('game_id', 'seq'),), 'pk_attr': 'id', 'table_description': "A draw log row sealed into its campaign's hash chain: append-only like the log."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DrawUnsealed',
            fields=[
                ('draw_log_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('game_id', fields.CharField(max_length=64)),
            ],
            options={'table': 'draw_unsealed', 'app': 'loyalty', 'pk_attr': 'draw_log_id', 'table_description': 'A draw log row waiting to be sealed: written by the play, removed by the sealer.'},
            bases=['Model'],
        ),
        ops.RunPython(queue_existing_draws),
        ops.RunPython(install_append_only("draw_log", "draw_chain")),
        ops.RunPython(install_report_indexes),
    ]
