"""Neutral messages → Zalo payloads within Zalo's limits; the fake (strict) accepts them."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from bot.channels.zalo import ZaloClient
from bot.channels.zalo.methods import SendMessage
from bot.channels.zalo.renderer import ZaloRenderer
from bot.core.messages import Button, Card, Cards, Image, RequestPhone, Text
from tests.fakes.zalo_api import FakeZalo

BASE = "https://bot.example.vn"
BANNER = f"{BASE}/media/zalo-banner-x.png"
r = ZaloRenderer(BASE, BANNER)


def messages(*msgs: Any, reply_to: str | None = None) -> list[dict[str, Any]]:
    return [req.payload for req in r.render(msgs, user_id="u1", reply_to=reply_to)]


def template(payload: dict[str, Any]) -> dict[str, Any]:
    return payload["message"]["attachment"]["payload"]


def test_plain_text_is_one_message_to_the_user() -> None:
    [p] = messages(Text(text="Xin chào"))
    assert p == {"recipient": {"user_id": "u1"}, "message": {"text": "Xin chào"}}


def test_long_text_is_split_on_boundaries_and_nfc_counted() -> None:
    paragraph = "Chương trình khuyến mãi tháng này rất hấp dẫn. " * 30  # ~1400 chars
    text = unicodedata.normalize("NFD", paragraph.strip() + "\n\n" + paragraph.strip())
    parts = [p["message"]["text"] for p in messages(Text(text=text))]
    assert len(parts) == 2
    assert all(len(p) <= 2000 for p in parts)
    assert parts[0] == unicodedata.normalize("NFC", paragraph.strip())  # cut at the paragraph
    words = " ".join(["dài"] * 1500)  # no line breaks: cut between words
    chunks = [p["message"]["text"] for p in messages(Text(text=words))]
    assert all(len(c) <= 2000 for c in chunks) and " ".join(chunks) == words
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in chunks)


def test_reply_uses_message_id_for_the_first_message_only() -> None:
    first, second = messages(Text(text="a"), Text(text="b"), reply_to="cb31dff1c39642cc1b83")
    assert first["recipient"] == {"message_id": "cb31dff1c39642cc1b83"}
    assert second["recipient"] == {"user_id": "u1"}
    # Answering a follow (derived id with ':') is not a reply to a message.
    [p] = messages(Text(text="a"), reply_to="follow:u1:1699003881354")
    assert p["recipient"] == {"user_id": "u1"}


def test_buttons_ride_on_a_list_template_with_hidden_payloads() -> None:
    [p] = messages(
        Text(
            text="Bạn muốn làm gì?\nChọn bên dưới nhé",
            buttons=(
                Button(title="Vòng quay", payload="game:lucky-wheel"),
                Button(title="Website", url="https://shop.vn"),
                Button(title="Gọi", phone="84912345678"),
            ),
            quick_replies=(Button(title="Menu", payload="menu"),),
        )
    )
    payload = template(p)
    assert payload["template_type"] == "list"
    assert payload["elements"] == [{"title": "Bạn muốn làm gì?", "subtitle": "Chọn bên dưới nhé"}]
    assert payload["buttons"] == [
        {"title": "Vòng quay", "type": "oa.query.hide", "payload": "#game:lucky-wheel"},
        {"title": "Website", "type": "oa.open.url", "payload": {"url": "https://shop.vn"}},
        {"title": "Gọi", "type": "oa.open.phone", "payload": {"phone_code": "84912345678"}},
        {"title": "Menu", "type": "oa.query.hide", "payload": "#menu"},
    ]


def test_long_text_with_buttons_keeps_every_character() -> None:
    text = "\n".join(f"Dòng số {i}: nội dung khá dài để vượt giới hạn." for i in range(80))
    out = messages(Text(text=text, buttons=(Button(title="OK", payload="ok"),)))
    *heads, last = out
    element = template(last)["elements"][0]
    assert len(element["title"]) <= 100 and len(element["subtitle"]) <= 500
    rebuilt = "\n".join(
        [*(h["message"]["text"] for h in heads), element["title"], element["subtitle"]]
    )
    assert rebuilt.split() == text.split()


def test_six_buttons_fall_back_to_a_numbered_list() -> None:
    buttons = (
        *(Button(title=f"Mục {i}", payload=f"p{i}") for i in range(1, 6)),
        Button(title="Trang web", url="https://shop.vn"),
    )
    [p] = messages(Text(text="Chọn một mục:", buttons=buttons))
    text = p["message"]["text"]
    assert "attachment" not in p["message"]
    assert text.splitlines() == [
        "Chọn một mục:",
        "",
        "1. Mục 1",
        "2. Mục 2",
        "3. Mục 3",
        "4. Mục 4",
        "5. Mục 5",
        "6. Trang web: https://shop.vn",
    ]
    assert p["choices"] == {str(i): [f"p{i}", f"Mục {i}"] for i in range(1, 6)}


def test_image_with_caption_buttons_and_relative_url() -> None:
    [p] = messages(
        Image(
            url="/media/wheel-abc.gif",
            caption="Kết quả",
            buttons=(Button(title="Quay tiếp", payload="spin"),),
        )
    )
    assert p["message"]["text"] == "Kết quả"
    payload = template(p)
    assert payload["template_type"] == "media"
    assert payload["elements"] == [{"media_type": "image", "url": f"{BASE}/media/wheel-abc.gif"}]
    assert payload["buttons"][0]["payload"] == "#spin"
    [gif] = messages(Image(url="https://x.vn/a.gif", gif=True, width=400, height=400))
    assert template(gif)["elements"][0] == {
        "media_type": "gif",
        "url": "https://x.vn/a.gif",
        "width": 400,
        "height": 400,
    }
    [by_id] = messages(Image(url="https://x.vn/a.png", channel_data={"attachment_id": "att1"}))
    assert template(by_id)["elements"][0] == {"media_type": "image", "attachment_id": "att1"}


def test_cards_become_a_list_or_one_message_each() -> None:
    cards = tuple(
        Card(
            title=f"Voucher {i}",
            subtitle="Giảm 50K",
            image_url="/media/v.png",
            buttons=(Button(title="Dùng", payload=f"use:{i}"),),
        )
        for i in range(7)
    )
    first, second = messages(Cards(cards=cards))
    assert len(template(first)["elements"]) == 5 and len(template(second)["elements"]) == 2
    element = template(first)["elements"][0]
    assert element == {
        "title": "Voucher 0",
        "subtitle": "Giảm 50K",
        "image_url": f"{BASE}/media/v.png",
        "default_action": {"type": "oa.query.hide", "payload": "#use:0"},
    }
    two_buttons = Card(
        title="A", buttons=(Button(title="x", payload="x"), Button(title="y", payload="y"))
    )
    out = messages(
        Cards(cards=(two_buttons, Card(title="B", image_url="https://x.vn/b.png")), text="Ưu đãi")
    )
    assert out[0]["message"] == {"text": "Ưu đãi"}
    assert template(out[1])["template_type"] == "list" and len(template(out[1])["buttons"]) == 2
    assert template(out[2])["template_type"] == "media" and out[2]["message"]["text"] == "B"


def test_request_phone_has_exactly_one_element_with_an_absolute_image() -> None:
    [p] = messages(RequestPhone(text="Chia sẻ số điện thoại để nhận voucher 20K"))
    payload = template(p)
    assert payload["template_type"] == "request_user_info"
    assert payload["elements"] == [
        {"title": "Chia sẻ số điện thoại để nhận voucher 20K", "subtitle": "", "image_url": BANNER}
    ]
    [q] = messages(RequestPhone(text="Mô tả", title="Nhận quà", image_url="/media/gift.png"))
    assert template(q)["elements"] == [
        {"title": "Nhận quà", "subtitle": "Mô tả", "image_url": f"{BASE}/media/gift.png"}
    ]


def test_promotional_flag_and_escape_hatch() -> None:
    [req] = r.render(
        [
            Text(
                text="Sale!",
                promotional=True,
                channel_data={"zalo_message": {"quote_message_id": "q1"}},
            )
        ],
        user_id="u1",
        reply_to=None,
    )
    assert req.promotional and req.method == "message/cs"
    assert req.payload["message"] == {"text": "Sale!", "quote_message_id": "q1"}


ALL = [
    Text(text="Xin chào " * 400),
    Text(
        text="Chọn:",
        buttons=(Button(title="A", payload="a"), Button(title="B", url="https://a.vn")),
    ),
    Text(text="", quick_replies=(Button(title="Menu", payload="menu"),)),
    Text(text="Nhiều", buttons=tuple(Button(title=str(i), payload=str(i)) for i in range(7))),
    Image(url="/media/a.png", caption="Ảnh", buttons=(Button(title="Gọi", phone="84912345678"),)),
    Cards(
        cards=(
            Card(
                title="A",
                subtitle="a",
                image_url="/x.png",
                buttons=(Button(title="Go", url="https://a.vn"),),
            ),
        )
    ),
    Cards(
        cards=(
            Card(
                title="A", buttons=(Button(title="1", payload="1"), Button(title="2", payload="2"))
            ),
        )
    ),
    RequestPhone(text="Cho mình xin số điện thoại nhé"),
]


@pytest.mark.parametrize("msg", ALL, ids=lambda m: type(m).__name__)
async def test_the_strict_fake_accepts_every_rendering(
    zalo: FakeZalo, client: ZaloClient, msg: Any
) -> None:
    zalo.add_user("u1", "Lan")
    inbound = zalo.events.user_send_text("u1", "hi")
    rendered = r.render([msg], user_id="u1", reply_to=inbound["message"]["msg_id"])
    for req in rendered:
        payload = {k: v for k, v in req.payload.items() if k != "choices"}
        sent = await client(SendMessage.model_validate(payload))
        assert sent.message_id
    assert len(zalo.sent) == len(rendered) and zalo.sent[0].is_reply
