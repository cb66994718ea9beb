"""The HTML report in a real browser: headless Chromium (Debian's package) via selenium.

Opens the report from disk, then checks that the page logs no error, that the plots render
(SVG inside every plot, a screenshot that is not blank), that sorting works, and that the
hostile strings of the fixtures run nothing and show as text.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import report_fixtures as rf

from greenbench.report import write_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
        reason="headless Chromium is not installed: apt-get install chromium chromium-driver "
        "(`make browser-deps` does it as root)",
    ),
]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1400,1000",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium with a fresh profile, browser console captured."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: selenium must not try to download one.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def opened(browser, tmp_path_factory):
    """The fixtures' report written from a store and opened from disk (file://)."""
    from selenium.webdriver.support.ui import WebDriverWait

    run = rf.build_store(tmp_path_factory.mktemp("run"), rf.records(), rf.samples_by_job(), rf.META)
    path = write_html(run)
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('div.plot svg.main-svg').length > 0 && "
            "Array.from(document.querySelectorAll('div.plot')).every("
            "  div => div.querySelector('svg.main-svg'))"
        )
    )
    return browser


def test_no_console_errors(opened):
    logs = opened.get_log("browser")
    errors = [entry for entry in logs if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_plots_render(opened):
    from PIL import Image, ImageStat
    from selenium.webdriver.common.by import By

    plots = opened.find_elements(By.CSS_SELECTOR, "div.plot")
    assert len(plots) == 8
    for plot in plots:
        assert plot.find_elements(By.CSS_SELECTOR, "svg.main-svg")
    scatter = plots[4]
    assert scatter.find_elements(By.CSS_SELECTOR, "g.scatterlayer path.point")
    opened.execute_script("arguments[0].scrollIntoView()", scatter)
    image = Image.open(io.BytesIO(scatter.screenshot_as_png)).convert("RGB")
    assert image.width > 300 and image.height > 300
    assert max(ImageStat.Stat(image).stddev) > 10  # not a blank rectangle
    assert len(image.getcolors(maxcolors=1 << 20)) > 50  # markers, lines, text in colours


def test_hostile_strings_run_nothing_and_show_as_text(opened):
    from selenium.webdriver.common.by import By

    assert opened.execute_script("return window.__xss") is None
    assert opened.title == "greenbench report — fixture-sweep"
    block = opened.find_element(By.CSS_SELECTOR, 'details[data-job="j-xss"]')
    block.find_element(By.TAG_NAME, "summary").click()
    shown = [pre.text for pre in block.find_elements(By.CSS_SELECTOR, "pre.prediction")]
    assert rf.XSS_SCRIPT in shown and rf.XSS_IMG in shown
    assert not opened.find_elements(By.CSS_SELECTOR, "main img")
    name = opened.find_element(By.CSS_SELECTOR, 'tr[data-job="j-xss"] span.model')
    assert name.text.startswith(f"evil{rf.XSS_SCRIPT}")
    assert opened.execute_script("return window.__xss") is None


def test_clicking_a_header_sorts_the_leaderboard(opened):
    from selenium.webdriver.common.by import By

    table = opened.find_element(By.CSS_SELECTOR, 'table.leaderboard[data-task="text-to-sql"]')
    header = table.find_elements(By.CSS_SELECTOR, "thead th")[3]  # energy / 1k queries
    opened.execute_script("arguments[0].scrollIntoView()", table)

    def order():
        return [
            tr.get_attribute("data-job") for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
        ]

    header.click()
    assert order() == ["j-measured", "j-small", "j-small-lora", "j-xss", "j-large"]
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert order() == ["j-large", "j-xss", "j-small-lora", "j-small", "j-measured"]
    assert header.get_attribute("aria-sort") == "descending"
