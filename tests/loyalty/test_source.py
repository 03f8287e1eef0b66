"""`Member.source`: how a member first came, set once at creation and never changed."""

from __future__ import annotations

import pytest

from loyalty import members
from loyalty.errors import InvalidInput


async def test_the_source_follows_the_first_identity_and_never_changes(db: str) -> None:
    follower = await members.get_or_create_by_identity("zalo_oa", "oa-1")
    assert follower.source == "zalo_follow"
    assert (await members.get_or_create_by_identity("messenger", "psid-1")).source == "messenger"
    assert (await members.get_or_create_by_identity("miniapp", "app-1")).source == "miniapp"
    assert (await members.get_or_create_by_phone("0912345678")).source == "pos"
    by_qr = await members.get_or_create_by_identity("zalo_oa", "oa-2", source="qr:quay-1")
    assert by_qr.source == "qr:quay-1"
    linked = await members.link_identity(follower, "messenger", "psid-9")
    linked = await members.link_phone(linked, "0987654321")
    assert (await members.resolve(linked)).source == "zalo_follow"
    with pytest.raises(InvalidInput):
        await members.get_or_create_by_identity("zalo_oa", "oa-3", source="facebook ads")
