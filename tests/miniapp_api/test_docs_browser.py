"""`/api/docs` in headless Chromium: the page renders every route from openapi.json offline."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from tests.miniapp_api.conftest import Api

pytestmark = pytest.mark.browser


def _render(url: str) -> tuple[list[str], int]:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    try:
        driver.get(url)
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ops details"))
        paths = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#ops .path")]
        schemas = len(driver.find_elements(By.CSS_SELECTOR, "#schemas details"))
        return paths, schemas
    finally:
        driver.quit()


@pytest.mark.skipif(not shutil.which("chromedriver"), reason="needs chromium + chromedriver")
async def test_docs_page_lists_routes_and_schemas(api: Api) -> None:
    url = str(api.client.make_url("/api/docs"))
    paths, schemas = await asyncio.to_thread(_render, url)
    assert "/api/v1/me/card" in paths
    assert "/api/v1/games/{game_id}/plays" in paths
    assert "/api/v1/admin/orders" in paths
    assert schemas >= 20
