"""Open a report page in the system's headless Chromium (Debian packages chromium, chromium-driver) via Selenium.

No browser is downloaded: the test uses /usr/bin/chromium and /usr/bin/chromedriver
(``apt-get install -y chromium chromium-driver``); without them the browser tests
skip with that reason.
"""

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def require_browser() -> None:
    """Skip the calling test, saying why, when the system has no Chromium and chromedriver."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("no system Chromium and chromedriver (apt-get install -y chromium chromium-driver)")
    pytest.importorskip("selenium", reason="selenium is a test dependency (pip install -e '.[test]')")


@contextmanager
def browser(width: int = 1366, height: int = 900):  # type: ignore[no-untyped-def]
    """A headless Chromium with network access switched off (offline), its console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
        f"--window-size={width},{height}", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    ):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(300)
    driver.set_script_timeout(120)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
        )
        yield driver
    finally:
        driver.quit()


def open_page(driver, page: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    """Load ``page`` (a file), wait for every Plotly figure to be drawn; return the console's error entries."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.resolve().as_uri())
    WebDriverWait(driver, 240).until(lambda d: d.execute_script("return document.readyState") == "complete")
    WebDriverWait(driver, 240).until(
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".every(function (p) { return p._fullLayout !== undefined; })"
        )
    )
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def full_page_screenshot(driver, path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A screenshot of the whole page (the window stretched to the page's height, at most 12000 px)."""
    height = min(12000, int(driver.execute_script("return document.documentElement.scrollHeight")))
    driver.set_window_size(1366, height)
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path
