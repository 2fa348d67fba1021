"""Headless Chromium for the tests of the browser views, driven by selenium with Debian's chromedriver.

    driver = chromium()          # skips the test without a browser, fails without one in CI
    open_page(driver, "file:///tmp/report.html")
    pixels = screenshot(driver)  # an (H, W, 3) uint8 array

Every request to a host other than 127.0.0.1 (where ``tbwriter serve`` listens in the tests) fails
(``--host-resolver-rules``), so a page that tried to fetch anything would show it in its resource entries and
console, and nothing is ever fetched from outside.
"""
from __future__ import annotations

import io
import os
import shutil
import time

import numpy as np
import pytest

DRIVER = "/usr/bin/chromedriver"
OPTIONS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--force-device-scale-factor=1")


def chromium():
    """A new headless Chromium session; without the browser, its driver or selenium the test is skipped,
    except in CI (env CI set), where that is a failure: browser tests must not silently skip there."""
    found = {"chromium": shutil.which("chromium") is not None, "chromedriver": os.path.exists(DRIVER)}
    missing = [name for name, there in found.items() if not there]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install selenium)")
    if missing:
        message = (f"browser tests need {', '.join(missing)}: apt-get install -y chromium chromium-driver "
                   f"(.ci/run and ./dev test do)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    for option in OPTIONS:
        options.add_argument(option)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the driver's path given: Selenium Manager would otherwise try to download one
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def open_page(driver, url: str) -> None:
    """Load ``url`` and wait until its first chart is drawn."""
    driver.get(url)
    wait_for(driver, "return window.tbwriterView !== undefined && "
                     "document.querySelector('canvas') !== null && document.readyState === 'complete'", timeout=120)
    driver.execute_script("return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def wait_for(driver, script: str, *args, timeout: float = 60.0):
    """Poll ``script`` until it returns something true, and return it (a machine busy with other tests may take
    its time: the timeout only ends a wait that would never end)."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script, *args)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {script}")
        time.sleep(0.05)


def screenshot(driver) -> np.ndarray:
    """The viewport's pixels, RGB."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB"))


def console_errors(driver) -> list[dict]:
    """The console's error entries since the last call (reading the log empties it)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def fetched(driver) -> list[str]:
    """Every resource the page requested."""
    return driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")


def near(pixels: np.ndarray, color: str, tolerance: int = 40) -> np.ndarray:
    """A boolean mask of the pixels within ``tolerance`` (per channel) of ``color`` (``"#1f77b4"``)."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return np.all(np.abs(pixels.astype(int) - rgb) <= tolerance, axis=-1)
