"""OA Open API besides sending: uploads, user detail and list, OA info, quota, tags.

GET calls take one `data=<url-encoded JSON>` query parameter; POST calls take JSON, except
uploads (multipart, field `file`). Every call needs the `access_token` header.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.zalo.state import (
    CS_WINDOW_MS,
    DAY_MS,
    E_NOT_FOLLOWER,
    E_PARAM,
    Attachment,
    err,
    ok,
)

if TYPE_CHECKING:
    from tests.fakes.zalo.core import FakeZalo

VN = timezone(timedelta(hours=7))
MB = 1024 * 1024
# kind -> (allowed magic prefixes, max bytes). GIF and file limits are unconfirmed (§2.4).
UPLOAD_RULES: dict[str, tuple[tuple[bytes, ...], int]] = {
    "image": ((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"), MB),
    "gif": ((b"GIF87a", b"GIF89a"), 5 * MB),
    "file": ((b"%PDF", b"\xd0\xcf\x11\xe0", b"PK\x03\x04"), 5 * MB),  # pdf, doc, docx
}
FILE_EXTENSIONS = (".pdf", ".doc", ".docx")
FREE_REPLIES = 8  # historical free CS replies per user message; not enforced on sends


def routes(fake: FakeZalo) -> list[web.RouteDef]:
    return OpenApi(fake).routes()


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str, str, bytes]]:
    """field -> (filename, content type, bytes). The middleware already consumed the stream,
    so the cached body is parsed here."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True) or b""
                fields[str(name)] = (part.get_filename() or "", part.get_content_type(), payload)
    return fields


class OpenApi:
    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v2.0/oa/upload/{kind:image|gif|file}", self.upload),
            web.get("/v3.0/oa/user/detail", self.user_detail),
            web.get("/v3.0/oa/user/getlist", self.user_list),
            web.get("/v2.0/oa/getoa", self.getoa),
            web.post("/v3.0/oa/quota/message", self.quota),
            web.get("/v2.0/oa/tag/gettagsofoa", self.tags),
            web.post("/v2.0/oa/tag/tagfollower", self.tag_follower),
            web.post("/v2.0/oa/tag/rmfollowerfromtag", self.untag_follower),
            web.post("/v2.0/oa/tag/rmtag", self.remove_tag),
        ]

    async def _args(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The token check plus the call's arguments (`data=` JSON for GET, JSON body for POST)."""
        if (bad := self.fake.check_access_token(request.headers.get("access_token"))) is not None:
            return bad
        try:
            if request.method == "GET":
                raw = request.query.get("data")
                args = json.loads(raw) if raw is not None else {}
            else:
                args = json.loads(await request.read())
        except ValueError:
            return err(E_PARAM, "data is not valid JSON")
        return args if isinstance(args, dict) else err(E_PARAM, "data must be a JSON object")

    async def upload(self, request: web.Request) -> web.Response:
        if (bad := self.fake.check_access_token(request.headers.get("access_token"))) is not None:
            return bad
        kind = request.match_info["kind"]
        if not request.content_type.startswith("multipart/form-data"):
            return err(E_PARAM, "upload must be multipart/form-data")
        fields = parse_multipart(request.headers["Content-Type"], await request.read())
        if "file" not in fields:
            return err(E_PARAM, "multipart field 'file' is required")
        filename, content_type, data = fields["file"]
        magics, limit = UPLOAD_RULES[kind]
        if not data.startswith(magics):
            return err(E_PARAM, "File type is not supported (only png/jpeg for images)")
        if kind == "file" and not filename.lower().endswith(FILE_EXTENSIONS):
            return err(E_PARAM, "Only pdf, doc and docx files are supported")
        if len(data) > limit:
            return err(E_PARAM, f"File is larger than {limit // MB} MB")
        upload_id = secrets.token_hex(16)
        self.fake.attachments[upload_id] = Attachment(
            upload_id, kind, filename, content_type, len(data), self.fake.now_ms()
        )
        return ok({"token": upload_id} if kind == "file" else {"attachment_id": upload_id})

    async def user_detail(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        if isinstance(args, web.Response):
            return args
        user = self.fake.users.get(str(args.get("user_id", "")))
        if user is None:
            return err(E_NOT_FOLLOWER, "User is not existed or has not followed OA")
        last = datetime.fromtimestamp(user.last_interaction / 1000, VN)
        detail: dict[str, Any] = {
            "user_id": user.user_id,
            "user_id_by_app": user.user_id_by_app,
            "user_external_id": "",
            "display_name": user.display_name,
            "user_alias": "",
            "is_sensitive": False,
            "user_last_interaction_date": last.strftime("%d/%m/%Y"),
            "user_is_follower": user.is_follower,
            "avatar": user.avatar,
            "avatars": {"120": user.avatar, "240": user.avatar},
            "tags_and_notes_info": {"notes": [], "tag_names": sorted(user.tags)},
        }
        if user.shared_info is not None:
            detail["shared_info"] = dict(user.shared_info)
        return ok(detail)

    async def user_list(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        if isinstance(args, web.Response):
            return args
        offset, count = args.get("offset", 0), args.get("count", 15)
        if not isinstance(offset, int) or not isinstance(count, int):
            return err(E_PARAM, "offset and count must be integers")
        if not 0 <= offset <= 9951 or not 1 <= count <= 50:
            return err(E_PARAM, "offset must be 0..9951 and count 1..50")
        try:
            since, until = self._period(args.get("last_interaction_period"))
        except ValueError:
            return err(E_PARAM, "bad last_interaction_period")
        users = [
            u
            for u in self.fake.users.values()
            if ("tag_name" not in args or args["tag_name"] in u.tags)
            and ("is_follower" not in args or u.is_follower == _truthy(args["is_follower"]))
            and since <= u.last_interaction < until
        ]
        page = users[offset : offset + count]
        return ok(
            {
                "total": len(users),
                "count": len(page),
                "offset": offset,
                "users": [{"user_id": u.user_id} for u in page],
            }
        )

    def _period(self, period: Any) -> tuple[int, int]:
        """[since, until) in epoch ms for TODAY, L7D, L30D or `y_m_d:y_m_d` (VN days)."""
        now = self.fake.now_ms()
        if period is None:
            return 0, 2**63
        today = datetime.fromtimestamp(now / 1000, VN).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        start = int(today.timestamp() * 1000)
        if period == "TODAY":
            return start, 2**63
        if period in ("L7D", "L30D"):
            return now - (7 if period == "L7D" else 30) * DAY_MS, 2**63
        first, _, last = str(period).partition(":")
        lo = datetime.strptime(first, "%Y_%m_%d").replace(tzinfo=VN)
        hi = datetime.strptime(last, "%Y_%m_%d").replace(tzinfo=VN) + timedelta(days=1)
        return int(lo.timestamp() * 1000), int(hi.timestamp() * 1000)

    async def getoa(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        if isinstance(args, web.Response):
            return args
        fake = self.fake
        return ok(
            {
                "oa_id": fake.oa_id,
                "name": fake.oa_name,
                "description": "",
                "avatar": f"https://s160-ava-talk.zadn.vn/{fake.oa_id}.jpg",
                "cover": "",
                "is_verified": True,
                "num_follower": sum(u.is_follower for u in fake.users.values()),
                "package_name": "Gói Nâng cao",
                "oa_type": 2,
            }
        )

    async def quota(self, request: web.Request) -> web.Response:
        """Per-user CS quota, or the OA-wide one. The reply shape is only partly documented."""
        args = await self._args(request)
        if isinstance(args, web.Response):
            return args
        fake = self.fake
        if args.get("quota_owner") == "OA":
            return ok({"quota_owner": "OA", "product_type": args.get("product_type", "cs")})
        user = fake.users.get(str(args.get("user_id", "")))
        if user is None:
            return err(E_NOT_FOLLOWER, "User is not existed or has not followed OA")
        in_window = fake.now_ms() - user.last_interaction <= CS_WINDOW_MS
        used = sum(1 for m in fake.sent_to(user.user_id) if m.at >= user.last_interaction)
        remain = max(0, FREE_REPLIES - used) if in_window else 0
        return ok(
            {
                "user_id": user.user_id,
                "last_interaction": user.last_interaction,
                "cs_reply": {"remain": remain, "total": FREE_REPLIES},
                "promotion": {"remain": 0, "total": 0},
            }
        )

    async def tags(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        if isinstance(args, web.Response):
            return args
        return ok(sorted(self.fake.tags))

    async def _tag_args(self, request: web.Request, need_user: bool) -> Any:
        args = await self._args(request)
        if isinstance(args, web.Response):
            return args
        tag = args.get("tag_name")
        if not isinstance(tag, str) or not tag:
            return err(E_PARAM, "tag_name is required")
        if not need_user:
            return tag, None
        user = self.fake.users.get(str(args.get("user_id", "")))
        if user is None:
            return err(E_NOT_FOLLOWER, "User is not existed or has not followed OA")
        return tag, user

    async def tag_follower(self, request: web.Request) -> web.Response:
        got = await self._tag_args(request, need_user=True)
        if isinstance(got, web.Response):
            return got
        tag, user = got
        self.fake.tags.add(tag)  # tagging auto-creates the tag
        user.tags.add(tag)
        return ok(None)

    async def untag_follower(self, request: web.Request) -> web.Response:
        got = await self._tag_args(request, need_user=True)
        if isinstance(got, web.Response):
            return got
        tag, user = got
        user.tags.discard(tag)
        return ok(None)

    async def remove_tag(self, request: web.Request) -> web.Response:
        got = await self._tag_args(request, need_user=False)
        if isinstance(got, web.Response):
            return got
        tag, _ = got
        if tag not in self.fake.tags:
            return err(E_PARAM, "Tag does not exist")
        self.fake.tags.discard(tag)
        for user in self.fake.users.values():
            user.tags.discard(tag)
        return ok(None)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")
