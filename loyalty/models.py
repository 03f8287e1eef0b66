"""Loyalty tables (members, identities, ledgers). Filled in by the loyalty engine."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Member(Model):
    id = fields.BigIntField(primary_key=True)
    member_code = fields.CharField(max_length=16, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member"
