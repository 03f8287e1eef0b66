"""End to end in headless Chromium at a phone's width (360 px): a cashier signs in, the till
finds a member by phone, records an order and redeems a voucher with one confirmation; a
manager's content edit with an error is refused at its line, fixed, saved, rolled back.

Skipped when Debian's `chromium` / `chromium-driver` are missing, like the sandbox test.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.console.accounts import hash_password
from bot.models import ConsoleUser, ContentVersion
from bot.settings import Settings
from games.config import VoucherSpec
from loyalty import members, vouchers
from loyalty.models import AuditEntry, Order, Voucher
from loyalty.qr import make_qr_token
from tests.bot.sandbox.test_browser import CHROMEDRIVER, CHROMIUM, FLAGS, _browser_missing

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WAIT = 15
PASSWORD = "mat-khau-dung-1"
PHONE = "0912345678"
GOOD = "  vnd_per_point: 10000     # 1 point per 10.000đ spent"
BAD = '  vnd_per_point: "mười nghìn"'
FIXED = "  vnd_per_point: 5000"


@functools.cache
def _hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=500,900")  # headless Chromium's smallest window
    options.add_experimental_option(  # the page itself sees a 360 px phone screen
        "mobileEmulation", {"deviceMetrics": {"width": 360, "height": 780, "pixelRatio": 2}}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(WAIT)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
async def server(
    clean_db: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[str, Settings]]:
    settings = make_settings()
    server = TestServer(build_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}", settings
    finally:
        await server.close()


def _wait(browser: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT)


def _by_id(browser: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, element_id)


def _text_has(element_id: str, fragment: str) -> Callable[[Any], bool]:
    def check(browser: Any) -> bool:
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
        )

        try:
            return fragment in _by_id(browser, element_id).text
        except (NoSuchElementException, StaleElementReferenceException):
            return False  # not there yet, or the page is being replaced

    return check


def sign_in(browser: Any, base: str, email: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{base}/admin/login")
    _by_id(browser, "email").send_keys(email)
    _by_id(browser, "password").send_keys(PASSWORD)
    _by_id(browser, "sign-in").click()


def till_flow(browser: Any, base: str, voucher_code: str, qr: tuple[str, str]) -> None:
    sign_in(browser, base, "thungan@shop.vn")
    _wait(browser).until(lambda b: b.current_url.endswith("/admin/till"))
    assert browser.execute_script("return window.innerWidth") == 360
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    _by_id(browser, "key").send_keys(PHONE)
    _by_id(browser, "find-btn").click()
    _wait(browser).until(_text_has("m-name", "Thu Hà"))
    assert _by_id(browser, "m-points").text == "0"
    assert _by_id(browser, "m-tier").text == "Member"
    assert voucher_code in _by_id(browser, "vouchers").text
    _by_id(browser, "amount").send_keys("125.000")
    _by_id(browser, "order-btn").click()
    _wait(browser).until(_text_has("order-result", "+12 điểm"))
    _wait(browser).until(_text_has("m-points", "12"))
    from selenium.webdriver.common.by import By

    browser.find_element(
        By.CSS_SELECTOR, f'button.use-voucher[data-code="{voucher_code}"]'
    ).click()
    _wait(browser).until(lambda b: _by_id(b, "confirm").is_displayed())
    _by_id(browser, "confirm-yes").click()
    _wait(browser).until(_text_has("redeem-result", f"Đã dùng voucher {voucher_code}"))
    _wait(browser).until(_text_has("vouchers", "Không có voucher dùng được."))
    # An unknown phone says so plainly.
    _by_id(browser, "key").clear()
    _by_id(browser, "key").send_keys("0987654321")
    _by_id(browser, "find-btn").click()
    _wait(browser).until(_text_has("till-message", "Không tìm thấy thành viên này."))
    # What a scan hands over is the card's QR token: an expired one says so plainly.
    expired, fresh = qr
    _find(browser, expired)
    _wait(browser).until(_text_has("till-message", "Mã QR đã hết hạn."))
    assert not _by_id(browser, "member").is_displayed()
    # Browsers without BarcodeDetector use our own jsQR: it reads the card's QR image.
    image = segno.make(fresh, error="m").png_data_uri(scale=6, border=4)
    decoded = decode_with_our_jsqr(browser, image)
    assert decoded == fresh
    _find(browser, decoded)
    _wait(browser).until(_text_has("m-name", "Thu Hà"))


DECODE = """
var src = arguments[0];
var done = arguments[arguments.length - 1];
var s = document.createElement("script");
s.src = "/admin/static/jsQR.js";
s.onerror = function () { done("script blocked"); };
s.onload = function () {
  var img = new Image();
  img.onload = function () {
    var c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    var ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    var data = ctx.getImageData(0, 0, c.width, c.height);
    var code = window.jsQR(data.data, data.width, data.height);
    done(code ? code.data : "no code");
  };
  img.src = src;
};
document.head.appendChild(s);
"""


def decode_with_our_jsqr(browser: Any, png_data_url: str) -> str:
    """The fallback decoder we serve, run in the page (under its CSP) on a card's QR."""
    return str(browser.execute_async_script(DECODE, png_data_url))


def _find(browser: Any, key: str) -> None:
    browser.execute_script("document.getElementById('key').value = arguments[0];", key)
    _by_id(browser, "find-btn").click()


def _set_text(browser: Any, text: str) -> None:
    browser.execute_script("document.getElementById('text').value = arguments[0];", text)


def content_flow(browser: Any, base: str, original: str) -> int:
    sign_in(browser, base, "quanly@shop.vn")
    _wait(browser).until(lambda b: b.current_url.endswith("/admin"))
    browser.get(f"{base}/admin/content")
    broken = original.replace(GOOD, BAD)
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "vnd_per_point" in t)
    _set_text(browser, broken)
    _by_id(browser, "save-btn").click()
    _wait(browser).until(_text_has("problems", f"Dòng {line}"))
    assert "loyalty.vnd_per_point" in _by_id(browser, "problems").text
    # The editor put the cursor on that line.
    selected = browser.execute_script(
        "var t = document.getElementById('text');"
        "return t.value.substring(t.selectionStart, t.selectionEnd);"
    )
    assert selected == BAD
    _set_text(browser, _by_id(browser, "text").get_attribute("value").replace(BAD, FIXED))
    _by_id(browser, "save-btn").click()
    _wait(browser).until(_text_has("content-message", "Đã lưu."))
    from selenium.webdriver.common.by import By

    links = browser.find_elements(By.CSS_SELECTOR, "a.version-link")
    assert len(links) == 2
    links[-1].click()  # the oldest: the file as it was on disk
    _wait(browser).until(_text_has("diff", "+  vnd_per_point: 10000"))
    _by_id(browser, "rollback-btn").click()
    _wait(browser).until(_text_has("content-message", "Đã lưu."))
    return line


async def test_till_and_content_editor_in_a_real_browser(
    server: tuple[str, Settings], driver: Any
) -> None:
    base, settings = server
    await ConsoleUser.create(email="thungan@shop.vn", role="staff", password_hash=_hash())
    await ConsoleUser.create(email="quanly@shop.vn", role="manager", password_hash=_hash())
    member = await members.get_or_create_by_phone(PHONE, name="Thu Hà")
    voucher = await vouchers.issue(
        member, VoucherSpec(value=20000, valid_days=7, title="Quà 20K"), source="test"
    )
    secret = settings.session_secret()
    expired, _ = make_qr_token(member, secret, now=datetime.now(UTC) - timedelta(minutes=5))
    fresh, _ = make_qr_token(member, secret, ttl=600)
    await asyncio.to_thread(till_flow, driver, base, voucher.code, (expired, fresh))
    order = await Order.get(member_id=member.id)
    assert order.amount == 125_000 and order.points == 12 and order.order_id.startswith("till-")
    assert (await Voucher.get(id=voucher.id)).redeemed_at is not None
    staff = await ConsoleUser.get(email="thungan@shop.vn")
    actions = set(await AuditEntry.filter(actor_id=str(staff.id)).values_list("action", flat=True))
    assert {"POST /admin/login", "POST /v1/admin/orders",
            "POST /v1/admin/vouchers/{code}/redeem"} <= actions  # fmt: skip

    path = Path(settings.CONTENT_PATH)
    original = await asyncio.to_thread(path.read_text)
    await asyncio.to_thread(content_flow, driver, base, original)
    assert await asyncio.to_thread(path.read_text) == original
    notes = await ContentVersion.all().order_by("id").values_list("note", flat=True)
    assert notes[:2] == ["disk", "save"] and str(notes[2]).startswith("rollback to ")
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    # 404 (unknown phone) and 422 (the refused edit) are answers; anything else is a bug.
    assert [e for e in errors if "Failed to load resource" not in e] == []


# --- campaigns and reports ---------------------------------------------------------------------
def _set_value(browser: Any, element_id: str, value: str) -> None:
    browser.execute_script(
        "var e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true}));",
        element_id,
        value,
    )


def compose_flow(browser: Any, base: str, send_at: str, audience: int = 2) -> str:
    """Compose, see the live preview, dry-run, schedule; back with the progress page's URL."""
    from selenium.webdriver.support.ui import Select

    sign_in(browser, base, "quanly@shop.vn")
    _wait(browser).until(lambda b: b.current_url.endswith("/admin"))
    browser.get(f"{base}/admin/campaigns/broadcasts/new")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    _by_id(browser, "b-name").send_keys("Món mới tháng này")
    Select(_by_id(browser, "b-purpose")).select_by_value("update")
    _by_id(browser, "b-text").send_keys("Chào {name}, quán có món mới!")
    # The live preview: typed text rendered for the segment's first member on both channels.
    _wait(browser).until(_text_has("preview-zalo", "Chào Thu Hà, quán có món mới!"))
    _wait(browser).until(_text_has("preview-messenger", "Chào Thu Hà, quán có món mới!"))
    _by_id(browser, "b-text").send_keys(" {nme}")
    _wait(browser).until(_text_has("preview-error", "chỗ điền không hợp lệ"))
    _set_value(browser, "b-text", "Chào {name}, quán có món mới!")
    _wait(browser).until(_text_has("preview-zalo", "Chào Thu Hà"))
    _by_id(browser, "dry-run-btn").click()
    _wait(browser).until(_text_has("dry-audience", str(audience)))
    assert _by_id(browser, "dry-audience").text == str(audience)
    assert _by_id(browser, "dry-send").text == "0"
    assert "không kênh nào gửi được lúc này" in _by_id(browser, "dry-skips").text
    assert _by_id(browser, "b-name").get_attribute("value") == "Món mới tháng này"  # kept
    _set_value(browser, "b-send-at", send_at)
    _by_id(browser, "create-btn").click()
    _wait(browser).until(_text_has("st-status", "Đã hẹn giờ"))
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    return str(browser.current_url)


def cancel_flow(browser: Any) -> None:
    _by_id(browser, "cancel-link").click()
    _wait(browser).until(lambda b: _by_id(b, "cancel-yes").is_displayed())
    _by_id(browser, "cancel-yes").click()
    _wait(browser).until(_text_has("broadcast-cancelled", "Đã hủy"))
    assert _by_id(browser, "st-status").text == "Đã hủy"


def open_page(browser: Any, url: str, element_id: str, fragment: str) -> None:
    browser.get(url)
    _wait(browser).until(_text_has(element_id, fragment))


def heat_map(browser: Any, base: str) -> str:
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/admin/reports/cohorts")
    _wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#cohort-heat td.h10"))
    cell = browser.find_element(By.CSS_SELECTOR, "#cohort-heat td.h10")
    assert cell.text == "100%"
    return str(
        browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor", cell)
    )


async def test_broadcast_compose_preview_dry_run_schedule_cancel_and_a_heat_map(
    server: tuple[str, Settings], driver: Any
) -> None:
    from bot.content.loader import load_content
    from bot.models import Broadcast
    from bot.outreach import broadcasts as bc
    from loyalty.orders import record_order
    from loyalty.segments.refresh import refresh_all

    base, settings = server
    await ConsoleUser.create(email="quanly@shop.vn", role="manager", password_hash=_hash())
    content = load_content(settings.CONTENT_PATH)
    await members.get_or_create_by_phone(PHONE, name="Thu Hà")
    await record_order("HEAT-1", 90_000, phone="0987654321", config=content.loyalty)
    await refresh_all(content.segment_spec())
    at = datetime.now(UTC) + timedelta(hours=7, days=1)
    url = await asyncio.to_thread(compose_flow, driver, base, at.strftime("%Y-%m-%dT%H:%M"))
    row = await Broadcast.get()
    assert url.endswith(f"/admin/campaigns/broadcasts/{row.id}")
    assert (row.status, row.purpose, row.name) == ("scheduled", "update", "Món mới tháng này")
    await asyncio.to_thread(cancel_flow, driver)
    assert (await Broadcast.get(id=row.id)).status == "cancelled"

    # The progress page follows the broadcast by itself: cancelled elsewhere, it says so.
    spec = bc.Spec(
        name="Tin thứ hai", segment="all", purpose="update", text="Xin chào",
        send_at=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    rules = bc.rules_from(content.outreach, settings.OUTREACH_CHANNEL_ORDER)
    second, _ = await bc.create(
        spec, content=content, rules=rules, now=datetime.now(UTC), idempotency_key=None
    )
    page = f"{base}/admin/campaigns/broadcasts/{second.id}"
    await asyncio.to_thread(open_page, driver, page, "st-status", "Đã hẹn giờ")
    await bc.cancel(second, now=datetime.now(UTC))
    await asyncio.to_thread(_wait(driver).until, _text_has("st-status", "Đã hủy"))
    assert not _by_id(driver, "cancel-link").is_displayed()

    assert await asyncio.to_thread(heat_map, driver, base) == "rgb(11, 92, 173)"
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert [e for e in errors if "/favicon.ico" not in e] == []  # no script error, no 4xx
    actions = await AuditEntry.filter(source="console").values_list("action", flat=True)
    assert "POST /admin/campaigns/broadcasts" in actions
    assert "POST /admin/campaigns/broadcasts/{id}/cancel" in actions
