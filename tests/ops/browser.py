"""A real headless Chromium (Debian's `chromium` and `chromium-driver`, never downloaded at run time)
driven by selenium from worker threads, so the server under test keeps its event loop."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


class Browser:
    def __init__(self, shots: Path) -> None:
        assert CHROMIUM and CHROMEDRIVER
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=412,915"):
            options.add_argument(flag)  # a phone-sized window: the manager must work there
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.shots = shots
        self.shots.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def run(self, work: Any, *args: Any) -> Any:
        return await asyncio.to_thread(work, *args)

    async def open(self, url: str) -> None:
        await self.run(self.driver.get, url)

    async def find(self, css: str, within: float = 10.0) -> WebElement:
        def wait() -> WebElement:
            return WebDriverWait(self.driver, within).until(
                expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
            )

        return await self.run(wait)  # type: ignore[no-any-return]

    async def text_in(self, css: str, text: str, within: float = 15.0) -> None:
        def wait() -> bool:
            return WebDriverWait(self.driver, within).until(
                expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
            )

        await self.run(wait)

    async def type(self, css: str, text: str) -> None:
        field = await self.find(css)
        await self.run(field.clear)
        await self.run(field.send_keys, text)

    async def click(self, css: str) -> None:
        await self.run((await self.find(css)).click)

    async def check(self, css: str, on: bool = True) -> None:
        box = await self.find(css)
        if await self.run(box.is_selected) != on:
            await self.run(box.click)

    async def select(self, css: str, value: str) -> None:
        await self.run(Select(await self.find(css)).select_by_value, value)

    async def shot(self, name: str) -> Path:
        self.count += 1
        path = self.shots / f"{self.count:02d}-{name}.png"
        await self.run(self.driver.save_screenshot, str(path))
        return path

    def quit(self) -> None:
        self.driver.quit()
