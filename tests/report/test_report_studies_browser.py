"""The study section of the HTML report in headless Chromium: its tables show, the CEGI plot
renders, the page logs no error, and a hostile model name stays text."""

from __future__ import annotations

import pytest
import study_fixtures as sf
from test_report_browser import browser, pytestmark  # noqa: F401  (shared Chromium fixture)

from greenbench.report import write_html


def _open(driver, run):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(write_html(run).resolve().as_uri())
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('div.plot')).every("
            "  div => div.querySelector('svg.main-svg'))"
        )
    )
    return driver


@pytest.mark.parametrize("study", ["cegi", "slm-vs-llm"])
def test_study_section_renders(browser, tmp_path, study):  # noqa: F811
    from selenium.webdriver.common.by import By

    page = _open(browser, sf.build(tmp_path, study=study, cegi_basis="gross"))
    errors = [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    section = page.find_element(By.CSS_SELECTOR, "section#study")
    assert section.find_element(By.TAG_NAME, "h2").text == f"Study: {study}"
    rows = section.find_elements(By.CSS_SELECTOR, "table.study-table tbody tr")
    assert len(rows) == 3
    if study == "cegi":
        plot = section.find_element(By.CSS_SELECTOR, "div.plot")
        assert plot.find_elements(By.CSS_SELECTOR, "g.scatterlayer path.point")
        assert "gain not significant" in section.text
    else:
        assert f"large{sf.EVIL}" in section.text  # shown as text
        assert page.execute_script("return window.__xss") is None
