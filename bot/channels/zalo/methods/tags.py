"""Follower tags (§2.2): list, tag (auto-creates the tag), untag, delete a tag."""

from __future__ import annotations

from pydantic import Field

from bot.channels.zalo.methods.base import ZaloMethod

TagName = Field(min_length=1, max_length=100)


class GetTags(ZaloMethod[list[str]]):
    __api_path__ = "/v2.0/oa/tag/gettagsofoa"
    __http_method__ = "GET"
    __returning__ = list[str]


class TagFollower(ZaloMethod[None]):
    __api_path__ = "/v2.0/oa/tag/tagfollower"

    user_id: str
    tag_name: str = TagName


class RemoveFollowerFromTag(ZaloMethod[None]):
    __api_path__ = "/v2.0/oa/tag/rmfollowerfromtag"

    user_id: str
    tag_name: str = TagName


class RemoveTag(ZaloMethod[None]):
    __api_path__ = "/v2.0/oa/tag/rmtag"

    tag_name: str = TagName
