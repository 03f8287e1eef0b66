"""Neutral → Send API bodies: limits and fallbacks, each body accepted by the fake Graph."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.client import GraphClient
from bot.channels.messenger.limits import split_text, truncate
from bot.channels.messenger.methods import method_from_payload
from bot.channels.messenger.renderer import phone_e164, render
from bot.channels.messenger.session import AiohttpGraphSession
from bot.contracts.outbound import OutboundRequest
from bot.core.messages import Button, Card, Cards, Image, RequestPhone, Text
from tests.fakes.graph_api import FakeGraph

PSID = "psid1"


@pytest.fixture
async def accept(fb: FakeGraph) -> AsyncIterator[Any]:
    """Send rendered requests to the fake, which enforces Meta's limits (code 100 if not)."""
    fb.add_user(PSID)
    client = GraphClient(
        AiohttpGraphSession(GraphAPIServer(fb.base_url)), fb.page_token, app_secret=fb.app_secret
    )

    async def send(requests: list[OutboundRequest]) -> None:
        for req in requests:
            await client(method_from_payload(req.payload))

    yield send
    await client.close()


def messages(requests: list[OutboundRequest]) -> list[dict[str, Any]]:
    return [r.payload["message"] for r in requests if "message" in r.payload]


def test_split_text_prefers_paragraphs_lines_then_words() -> None:
    para = "Đoạn một. " * 150  # 1500 characters
    text = para.strip() + "\n\n" + "Dòng hai " * 100
    chunks = split_text(text)
    assert chunks[0] == para.strip()
    assert all(len(c) <= 2000 for c in chunks)
    words = "chữ " * 1000
    chunks = split_text(words)
    assert all(len(c) <= 2000 and not c.endswith("ch") for c in chunks)
    assert " ".join(chunks).split() == words.split()
    url = "https://example.com/" + "a" * 2500
    assert [len(c) for c in split_text(url)] == [2000, 520]
    assert split_text("   ") == []


def test_truncate_counts_composed_characters() -> None:
    decomposed = "Vo\u0300ng quay may ma\u0306\u0301n"  # "Vòng quay may mắn", NFD
    assert truncate(decomposed, 20) == "Vòng quay may mắn"
    assert truncate("Nhận voucher 50K ngay hôm nay", 20) == "Nhận voucher 50K ng…"
    assert len(truncate("x" * 50, 20)) == 20


def test_phone_numbers_become_e164() -> None:
    assert phone_e164("0901 234 567") == "+84901234567"
    assert phone_e164("84901234567") == "+84901234567"
    assert phone_e164("+84 90-123-4567") == "+84901234567"
    assert phone_e164("abc") is None


async def test_long_text_is_split_and_quick_replies_ride_on_the_last(accept: Any) -> None:
    chips = tuple(Button(title=f"Lựa chọn số {i} rất dài tên", payload=f"p{i}") for i in range(15))
    reqs = render(
        [Text(text="Xin chào. " * 450, quick_replies=chips)], user_id=PSID, reply_to="m1"
    )
    msgs = messages(reqs)
    assert len(msgs) == 3
    assert all(len(m["text"]) <= 2000 for m in msgs)
    assert "quick_replies" not in msgs[0] and "quick_replies" not in msgs[1]
    qr = msgs[-1]["quick_replies"]
    assert len(qr) == 13
    assert qr[0] == {"content_type": "text", "title": "Lựa chọn số 0 rất d…", "payload": "p0"}
    assert all(r.payload["messaging_type"] == "RESPONSE" for r in reqs)
    await accept(reqs)


async def test_more_than_three_buttons_become_chips_plus_link_buttons(accept: Any) -> None:
    buttons = (
        Button(title="Vòng quay may mắn", payload="game:lucky-wheel"),
        Button(title="Cào thẻ trúng quà", payload="game:scratch-card"),
        Button(title="Đố vui cà phê", payload="game:quiz"),
        Button(title="Thẻ thành viên", payload="card"),
        Button(title="Website của quán cà phê", url="https://example.com"),
        Button(title="Gọi quán", phone="0901234567"),
        Button(title="Ưu đãi", payload="vouchers"),
    )
    reqs = render([Text(text="Chọn bên dưới nhé!", buttons=buttons)], user_id=PSID, reply_to=None)
    msgs = messages(reqs)
    assert len(msgs) == 1
    payload = msgs[0]["attachment"]["payload"]
    assert payload["text"] == "Chọn bên dưới nhé!"
    assert payload["buttons"][0] == {
        "type": "web_url",
        "title": "Website của quán cà…",
        "url": "https://example.com",
    }
    assert payload["buttons"][1]["payload"] == "+84901234567"
    chips = msgs[0]["quick_replies"]
    assert [c["payload"] for c in chips] == [
        "game:lucky-wheel",
        "game:scratch-card",
        "game:quiz",
        "card",
        "vouchers",
    ]
    assert all(r.payload["messaging_type"] == "UPDATE" for r in reqs)
    await accept(reqs)


async def test_button_text_over_640_goes_before_the_template(accept: Any) -> None:
    text = "Thể lệ chương trình. " * 60  # ~1260 characters
    reqs = render(
        [Text(text=text, buttons=(Button(title="OK", payload="ok"),))], user_id=PSID, reply_to="m"
    )
    msgs = messages(reqs)
    assert "text" in msgs[0] and "attachment" in msgs[-1]
    assert len(msgs[-1]["attachment"]["payload"]["text"]) <= 640
    joined = " ".join([*(m["text"] for m in msgs[:-1]), msgs[-1]["attachment"]["payload"]["text"]])
    assert joined.split() == text.split()
    await accept(reqs)


async def test_image_variants(accept: Any, fb: FakeGraph) -> None:
    url = "https://cdn.example.com/wheel.png"
    plain = messages(
        render([Image(url=url, caption="Bạn trúng voucher 50K!")], user_id=PSID, reply_to="m")
    )
    assert plain[0] == {"attachment": {"type": "image", "payload": {"url": url}}}
    assert plain[1] == {"text": "Bạn trúng voucher 50K!"}

    with_buttons = Image(
        url=url,
        caption="Kết quả",
        width=800,
        height=800,
        buttons=(Button(title="Quay lại", payload="menu"),),
    )
    card = messages(render([with_buttons], user_id=PSID, reply_to="m"))
    assert len(card) == 1
    generic = card[0]["attachment"]["payload"]
    assert generic["template_type"] == "generic"
    assert generic["image_aspect_ratio"] == "square"
    assert generic["elements"][0]["title"] == "Kết quả"

    long_caption = Image(url=url, caption="Chúc mừng! " * 20, buttons=with_buttons.buttons)
    two = messages(render([long_caption], user_id=PSID, reply_to="m"))
    assert two[0]["attachment"]["type"] == "image"
    assert two[1]["attachment"]["payload"]["template_type"] == "button"

    aid = fb.register_attachment("image")
    uploaded = Image(
        url=url, buttons=with_buttons.buttons, channel_data={"messenger": {"attachment_id": aid}}
    )
    media = messages(render([uploaded], user_id=PSID, reply_to="m"))
    assert media[0]["attachment"]["payload"]["template_type"] == "media"
    assert media[0]["attachment"]["payload"]["elements"][0]["attachment_id"] == aid
    no_buttons = Image(url=url, channel_data={"messenger": {"attachment_id": aid}})
    assert messages(render([no_buttons], user_id=PSID, reply_to="m")) == [
        {"attachment": {"type": "image", "payload": {"attachment_id": aid}}}
    ]
    for message in (Image(url=url), with_buttons, long_caption, uploaded, no_buttons):
        await accept(render([message], user_id=PSID, reply_to="m"))


async def test_cards_carousels_of_ten_and_title_only_fallback(accept: Any) -> None:
    cards = tuple(
        Card(
            title=f"Voucher {i} — giảm giá cực lớn cho thành viên thân thiết của quán cà phê {i}",
            subtitle="Hạn dùng 30 ngày " * 10,
            image_url=f"https://cdn.example.com/v{i}.png",
            buttons=tuple(Button(title=f"Nút {j}", payload=f"v{i}:{j}") for j in range(4)),
        )
        for i in range(12)
    )
    bare = Card(title="Chỉ có tiêu đề")
    reqs = render([Cards(cards=(*cards, bare), text="Ưu đãi của bạn")], user_id=PSID, reply_to="m")
    msgs = messages(reqs)
    assert msgs[0] == {"text": "Ưu đãi của bạn"}
    carousels = [m["attachment"]["payload"] for m in msgs[1:3]]
    assert [len(c["elements"]) for c in carousels] == [10, 2]
    element = carousels[0]["elements"][0]
    assert len(element["title"]) <= 80 and len(element["subtitle"]) <= 80
    assert len(element["buttons"]) == 3
    assert msgs[3] == {"text": "• Chỉ có tiêu đề"}
    await accept(reqs)


async def test_request_phone_uses_the_native_quick_reply(accept: Any) -> None:
    reqs = render(
        [
            RequestPhone(
                text="Chia sẻ số điện thoại để nhận quà 20K nhé!",
                title="Nhận quà 20K",
                subtitle="Chỉ một chạm",
                image_url="https://cdn.example.com/gift.png",
            )
        ],
        user_id=PSID,
        reply_to="m",
    )
    msgs = messages(reqs)
    assert msgs[0]["attachment"]["payload"]["elements"][0]["title"] == "Nhận quà 20K"
    assert msgs[1]["quick_replies"] == [{"content_type": "user_phone_number"}]
    await accept(reqs)
    plain = render([RequestPhone(text="Số điện thoại của bạn?")], user_id=PSID, reply_to="m")
    assert messages(plain) == [
        {
            "text": "Số điện thoại của bạn?",
            "quick_replies": [{"content_type": "user_phone_number"}],
        }
    ]


async def test_tags_typing_and_promotional_flag(accept: Any) -> None:
    tagged = Text(
        text="Đơn hàng của bạn đã được xác nhận.",
        channel_data={"messenger": {"tag": "POST_PURCHASE_UPDATE", "typing": True}},
    )
    promo = Text(text="Giảm 50% hôm nay!", promotional=True)
    reqs = render([tagged, promo], user_id=PSID, reply_to=None)
    assert reqs[0].payload == {"recipient": {"id": PSID}, "sender_action": "typing_on"}
    assert reqs[1].payload["messaging_type"] == "MESSAGE_TAG"
    assert reqs[1].payload["tag"] == "POST_PURCHASE_UPDATE"
    assert not reqs[1].promotional
    assert reqs[2].promotional and "tag" not in reqs[2].payload
    await accept(reqs)
    with pytest.raises(ValueError, match="unknown Messenger message tag"):
        render(
            [Text(text="x", channel_data={"messenger": {"tag": "PROMO"}})],
            user_id=PSID,
            reply_to=None,
        )


def test_oversized_payload_is_dropped_not_cut() -> None:
    reqs = render(
        [
            Text(
                text="x",
                buttons=(Button(title="A", payload="a" * 1001), Button(title="B", payload="b")),
            )
        ],
        user_id=PSID,
        reply_to=None,
    )
    (msg,) = messages(reqs)
    assert msg["attachment"]["payload"]["buttons"] == [
        {"type": "postback", "title": "B", "payload": "b"}
    ]
