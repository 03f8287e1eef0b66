"""End to end in a real headless Chromium: the sandbox page against the real app on a real
loopback port. Follow as a Zalo user, see the greeting, open the wheel from the menu, spin,
see the prize; the same on Messenger with Get Started; then the Mini App tab.

Selenium is blocking, so the browser steps run in a worker thread while the event loop keeps
serving the app. Skipped when Debian's `chromium` / `chromium-driver` are not installed
(`make test` installs them).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.content.loader import load_content
from bot.content.schema import Content
from bot.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WAIT = 15  # seconds, for every explicit wait
NAME = "Thu Hà"
WHEEL = "lucky-wheel"


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


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
    options.add_argument("--window-size=1200,1000")
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(WAIT)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
async def base_url(clean_db: str, make_settings: Callable[..., Settings]) -> AsyncIterator[str]:
    """The real app on 127.0.0.1 and a random port, no credentials (sandbox on)."""
    server = TestServer(build_app(make_settings()), host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


@pytest.fixture
def content(content_path: Path) -> Content:
    return load_content(content_path)


# --- browser steps (blocking; run in a thread) -------------------------------------------------
def _wait(browser: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT)


def _thread_text(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.ID, "thread").text)


LOADED = "return arguments[0].complete && arguments[0].naturalWidth > 0"


def _image_loaded(browser: Any, element: Any) -> bool:
    """The image really came from the page's host (its URL was rewritten to a local path)."""
    return bool(browser.execute_script(LOADED, element))


def _open_as(browser: Any, base: str, channel: str, user_id: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(f"{base}/sandbox?channel={channel}")
    name = _wait(browser).until(ec.element_to_be_clickable((By.ID, "user-name")))
    name.clear()
    name.send_keys(NAME)
    field = browser.find_element(By.ID, "user-id")
    field.clear()
    field.send_keys(user_id)
    browser.find_element(By.ID, "apply-user").click()
    # The live feed is connected before the user does anything.
    _wait(browser).until(
        lambda b: "on" in b.find_element(By.ID, "conn").get_attribute("class").split()
    )


def _spin_and_see_prize(browser: Any, menu_entry: str, prize_labels: list[str]) -> str:
    """Tap the menu's wheel entry, see the wheel and "Quay ngay", spin, see GIF and prize."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    _wait(browser).until(ec.element_to_be_clickable((By.XPATH, menu_entry))).click()
    wheel = _wait(browser).until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, "#thread img.sbx-img[src^='/media/wheel-'][src$='.png']")
        )
    )
    _wait(browser).until(lambda b: _image_loaded(b, wheel))
    spin = "//*[@id='thread']//button[normalize-space()='Quay ngay']"
    _wait(browser).until(ec.element_to_be_clickable((By.XPATH, spin))).click()
    gif = _wait(browser).until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, "#thread img.sbx-img[src^='/media/wheel-spin-'][src$='.gif']")
        )
    )
    _wait(browser).until(lambda b: _image_loaded(b, gif))

    def prize_shown(b: Any) -> str | None:
        bot = b.find_elements(By.CSS_SELECTOR, "#thread .msg.from-bot")
        last = bot[-1].text if bot else ""
        return next((label for label in prize_labels if label in last), None)

    return str(_wait(browser).until(prize_shown))


def zalo_flow(browser: Any, base: str, greeting: str, prize_labels: list[str]) -> str:
    from selenium.webdriver.common.by import By

    _open_as(browser, base, "zalo", "sandbox-zalo-e2e")
    browser.find_element(By.ID, "zalo-follow").click()
    _wait(browser).until(lambda b: greeting in _thread_text(b))
    banner = _wait(browser).until(
        lambda b: b.find_element(By.CSS_SELECTOR, "#thread img.sbx-img[src^='/media/banner-']")
    )
    _wait(browser).until(lambda b: _image_loaded(b, banner))
    # A button when the menu fits Zalo's 5 buttons; else the numbered list the user answers.
    entry = (
        "//*[@id='thread']//*[@data-payload='#game:lucky-wheel'"
        " or (contains(@class, 'sbx-choice') and contains(., 'Vòng quay may mắn'))]"
    )
    return _spin_and_see_prize(browser, entry, prize_labels)


def messenger_flow(browser: Any, base: str, greeting: str, prize_labels: list[str]) -> str:
    from selenium.webdriver.common.by import By

    _open_as(browser, base, "messenger", "sandbox-fb-e2e")
    welcome = browser.find_element(By.ID, "fb-greeting").text
    assert welcome.startswith("Chào Hà!"), welcome  # Messenger fills {{user_first_name}}
    browser.find_element(By.ID, "fb-get-started").click()
    _wait(browser).until(lambda b: greeting in _thread_text(b))
    # More than 3 menu items: Messenger shows them as quick-reply chips under the thread.
    entry = "//*[@id='thread' or @id='quick-replies']//button[@data-payload='game:lucky-wheel']"
    return _spin_and_see_prize(browser, entry, prize_labels)


def miniapp_flow(browser: Any) -> None:
    """The Mini App tab of the same user: card with QR, then one scratch card play."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.find_element(By.ID, "tab-miniapp").click()
    _wait(browser).until(ec.element_to_be_clickable((By.ID, "mini-open"))).click()
    card = _wait(browser).until(ec.visibility_of_element_located((By.ID, "member-card")))
    assert NAME in card.text
    qr = browser.find_element(By.ID, "member-qr")
    _wait(browser).until(lambda b: _image_loaded(b, qr))
    _wait(browser).until(ec.element_to_be_clickable((By.ID, "game-play-scratch-card"))).click()
    result = _wait(browser).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#game-result-scratch-card img.sbx-img"))
    )
    _wait(browser).until(lambda b: _image_loaded(b, result))
    _wait(browser).until(
        lambda b: b.find_element(By.CSS_SELECTOR, "#game-result-scratch-card .prize").text
    )


def severe_console_errors(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


async def test_sandbox_in_a_real_browser(base_url: str, driver: Any, content: Content) -> None:
    wheel = content.game(WHEEL)
    assert wheel is not None
    labels = [prize.label for prize in wheel.prizes]
    zalo_greeting = content.render(content.greetings.zalo_follow.text, name=NAME).split("\n")[0]
    assert NAME in zalo_greeting
    # Messenger sandbox users have no profile name: check the line that does not use it.
    fb_greeting = content.render(content.greetings.messenger_get_started.text, name="").split(
        "\n"
    )[1]

    won = await asyncio.to_thread(zalo_flow, driver, base_url, zalo_greeting, labels)
    assert won in labels
    won = await asyncio.to_thread(messenger_flow, driver, base_url, fb_greeting, labels)
    assert won in labels
    await asyncio.to_thread(miniapp_flow, driver)
    assert await asyncio.to_thread(severe_console_errors, driver) == []
