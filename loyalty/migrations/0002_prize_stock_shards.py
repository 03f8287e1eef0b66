from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint

from loyalty.migration_ops import StateOnly, shard_prize_stock


class Migration(migrations.Migration):
    """Prize stock split into shards: a `shard` column, unique per (game, prize, shard)."""

    dependencies = [("loyalty", "0001_initial")]

    initial = False

    operations = [
        StateOnly(
            ops.AlterModelOptions(
                name="PrizeStock",
                options={
                    "table": "prize_stock",
                    "app": "loyalty",
                    "unique_together": (("game_id", "prize_id", "shard"),),
                    "constraints": [
                        CheckConstraint(check="remaining >= 0", name="prize_stock_remaining_nonneg"),
                        CheckConstraint(check="awarded >= 0", name="prize_stock_awarded_nonneg"),
                    ],
                    "pk_attr": "id",
                    "table_description": "One shard of a prize's awardable units, claimed by conditional UPDATE.",
                },
            )
        ),
        StateOnly(
            ops.AddField(
                model_name="PrizeStock", name="shard", field=fields.SmallIntField(default=0)
            )
        ),
        ops.RunPython(shard_prize_stock),
    ]
