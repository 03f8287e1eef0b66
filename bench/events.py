"""Correctly signed, all-different webhook requests, written once and replayed by the loader.

Every request carries a unique message id, a different sender (round robin over `users`)
and Vietnamese text, signed the way the platform does in sandbox mode (`SANDBOX_SECRET`):
Messenger as HMAC-SHA256 of the exact body (Meta escapes non-ASCII), Zalo as
sha256(app_id + body + timestamp + key) over compact UTF-8 JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SECRET = "bench-sandbox-secret"  # passed to serve as SANDBOX_SECRET
ZALO_APP_ID = "3240188763119288888"
ZALO_OA_ID = "579745863508352884"
PAGE_ID = "109876543210987"

TEXTS = (
    "Cho mình hỏi chương trình vòng quay may mắn hôm nay còn không ạ?",
    "Mình muốn đổi điểm lấy voucher giảm giá",
    "Quán mở cửa lúc mấy giờ vậy shop?",
    "Tôi đã quay trúng voucher 50K, dùng thế nào?",
    "Còn ly cà phê sữa đá miễn phí không ạ",
    "Đặt hai ly trà đào cam sả, giao tới Quận 3 nhé",
    "Thẻ thành viên của mình đang hạng gì?",
    "Flash sale giờ vàng bắt đầu chưa shop ơi",
)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    path: str
    header: str
    signature: str
    body: bytes

    def line(self) -> bytes:
        """One tab-separated line for the wrk script (compact JSON has no tab or newline)."""
        return b"\t".join(
            (self.path.encode(), self.header.encode(), self.signature.encode(), self.body)
        )


def _text(i: int) -> str:
    return f"{TEXTS[i % len(TEXTS)]} (#{i})"


def messenger_request(i: int, *, run: str, users: int, ms: int) -> SignedRequest:
    psid = f"{7_100_000_000_000_000 + i % users}"
    item = {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": ms,
        "message": {"mid": f"m_bench-{run}-{i:07d}", "text": _text(i)},
    }
    envelope = {"object": "page", "entry": [{"id": PAGE_ID, "time": ms, "messaging": [item]}]}
    body = json.dumps(envelope, ensure_ascii=True, separators=(",", ":")).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return SignedRequest("/webhooks/messenger", "X-Hub-Signature-256", sig, body)


def zalo_request(i: int, *, run: str, users: int, ms: int) -> SignedRequest:
    uid = f"{6_100_000_000_000_000 + i % users}"
    stamp = str(ms)
    event = {
        "app_id": ZALO_APP_ID,
        "user_id_by_app": f"{8_800_000_000_000_000 + i % users}",
        "event_name": "user_send_text",
        "timestamp": stamp,
        "sender": {"id": uid},
        "recipient": {"id": ZALO_OA_ID},
        "message": {"msg_id": f"bench{run}{i:07d}", "text": _text(i)},
    }
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    mac = hashlib.sha256(ZALO_APP_ID.encode() + body + stamp.encode() + SECRET.encode())
    return SignedRequest("/webhooks/zalo", "X-ZEvent-Signature", "mac=" + mac.hexdigest(), body)


BUILDERS = {"messenger": messenger_request, "zalo": zalo_request}


def generate(channel: str, count: int, *, run: str, users: int = 5000) -> Iterator[SignedRequest]:
    """`count` different signed requests for one channel; `run` keeps runs apart."""
    build = BUILDERS[channel]
    ms = int(time.time() * 1000)
    for i in range(count):
        yield build(i, run=run, users=users, ms=ms + i)


def write_file(path: Path, requests: Iterator[SignedRequest]) -> int:
    """Write the requests one per line; return how many."""
    n = 0
    with path.open("wb") as fh:
        for req in requests:
            fh.write(req.line() + b"\n")
            n += 1
    return n


def read_file(path: Path) -> list[SignedRequest]:
    out = []
    with path.open("rb") as fh:
        for raw in fh:
            p, h, s, body = raw.rstrip(b"\n").split(b"\t", 3)
            out.append(SignedRequest(p.decode(), h.decode(), s.decode(), body))
    return out
