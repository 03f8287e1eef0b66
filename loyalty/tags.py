"""Tags on members: short labels from an import or the admin API, compared case-insensitively.

A tag is stored trimmed, with inner spaces collapsed and in lower case (`Khách Sỉ` and
`khách sỉ` are one tag). Adding a tag twice or removing one that is not there changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from tortoise.transactions import in_transaction

from loyalty.errors import InvalidInput
from loyalty.models import Member, MemberTag

MAX_TAG = 64
MAX_TAGS_PER_CALL = 50
_SPACES = re.compile(r"\s+")


def normalize_tag(raw: str) -> str:
    tag = _SPACES.sub(" ", unicodedata.normalize("NFC", str(raw))).strip().lower()
    if not tag or len(tag) > MAX_TAG or any(unicodedata.category(c) == "Cc" for c in tag):
        raise InvalidInput(f"a tag is 1..{MAX_TAG} printable characters")
    return tag


def split_tags(raw: str) -> list[str]:
    """`vip; khách sỉ, hà nội` → three tags (`,` or `;` separate them), deduplicated."""
    out: list[str] = []
    for part in re.split(r"[;,]", raw or ""):
        if part.strip():
            tag = normalize_tag(part)
            if tag not in out:
                out.append(tag)
    return out


def _clean(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in tags:
        tag = normalize_tag(raw)
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS_PER_CALL:
        raise InvalidInput(f"at most {MAX_TAGS_PER_CALL} tags at once")
    return out


async def tags_of(member_id: int) -> list[str]:
    rows = (
        await MemberTag.filter(member_id=member_id).order_by("tag").values_list("tag", flat=True)
    )
    return [str(t) for t in rows]


async def add_tags(member: Member, tags: Iterable[str]) -> list[str]:
    """Add tags (those already there are kept once). Returns all the member's tags."""
    wanted = _clean(tags)
    async with in_transaction():
        have = set(await tags_of(member.id))
        new = [MemberTag(member_id=member.id, tag=t) for t in wanted if t not in have]
        if new:
            await MemberTag.bulk_create(new, ignore_conflicts=True)
    return await tags_of(member.id)


async def remove_tags(member: Member, tags: Iterable[str]) -> list[str]:
    """Remove tags (absent ones are ignored). Returns the member's remaining tags."""
    wanted = _clean(tags)
    if wanted:
        await MemberTag.filter(member_id=member.id, tag__in=wanted).delete()
    return await tags_of(member.id)
