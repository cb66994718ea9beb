"""Untrusted record text (model names, prompts, predictions, errors) is escaped in every view."""

from __future__ import annotations

import io
import json
import re

import report_fixtures as rf
from rich.console import Console

from greenbench.report import print_leaderboard, render_html
from greenbench.report.export import to_csv, to_markdown
from greenbench.report.html import script_json
from greenbench.report.tables import COLUMNS

PAYLOADS = [rf.XSS_SCRIPT, rf.XSS_IMG, "</script><script>window.__xss = 1</script>"]


def test_payloads_never_appear_as_markup(rendered, page):
    for payload in PAYLOADS:
        assert payload not in rendered
    elements = page.find_all("*")
    assert not [e.tag for e in elements if e.tag == "img"]
    assert not [(e.tag, a) for e in elements for a in e.attrs if a.startswith("on")]
    # only our own two scripts and the JSON data blocks are <script> elements
    scripts = re.findall(r"<script\b[^>]*>", rendered, flags=re.I)
    assert scripts.count("<script>") == 2
    assert all(s == "<script>" or 'type="application/json"' in s for s in scripts)


def test_payloads_render_as_text(page):
    xss = page.find("details", data_job="j-xss")
    predictions = [pre.text for pre in xss.find_all("pre", class_="prediction")]
    assert rf.XSS_SCRIPT in predictions and rf.XSS_IMG in predictions
    prompts = [row.find_all("td")[1].text for row in xss.find("tbody").find_all("tr")]
    assert rf.XSS_SEPARATORS in prompts
    # an entity in a reference stays the characters it is, not what it encodes
    assert "&amp; stays &amp;" in xss.text
    assert f"evil{rf.XSS_SCRIPT}" in page.find("tr", data_job="j-xss").find("span").text
    assert rf.XSS_IMG in page.find("section", id="failed").text


def test_json_data_blocks_cannot_close_their_script(page, rendered):
    blocks = re.findall(
        r'<script type="application/json" id="[^"]+">(.*?)</script>', rendered, flags=re.S
    )
    assert len(blocks) == len(page.find_all("div", class_="plot"))
    labels = []
    for block in blocks:
        assert not set("<>&\u2028\u2029") & set(block)
        figure = json.loads(block)
        labels += [str(t.get("hovertext")) for t in figure["data"]]
    # plotly renders a subset of HTML in labels: record text reaches it entity-escaped
    assert any("evil&lt;script&gt;window.__xss" in label for label in labels)


def test_script_json_round_trips_every_dangerous_character():
    data = {"a": "</script><!-- & \u2028\u2029 <img src=x onerror=alert(1)>", "b": [1, None]}
    text = str(script_json(data))
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == data
    assert json.loads(str(script_json(json.dumps(data)))) == data


def test_markdown_escapes_markup_and_table_syntax():
    records = rf.records()
    records[0]["model"]["name"] = "pipe|model *bold* [link](javascript:x)"
    text = to_markdown(records)
    for payload in PAYLOADS:
        assert payload not in text
    assert "evil&lt;script&gt;" in text
    row = next(line for line in text.splitlines() if "pipe" in line)
    assert "pipe\\|model \\*bold\\* \\[link\\](javascript:x)" in row
    assert row.count(" | ") == len(COLUMNS) - 1  # the name did not add a column


def test_terminal_prints_record_text_literally():
    records = rf.records()
    records[0]["model"]["name"] = "[bold red]loud[/] [link=http://x.test]click[/link]"
    buffer = io.StringIO()
    print_leaderboard(records, Console(file=buffer, width=250, color_system=None))
    out = buffer.getvalue()
    assert "[bold red]loud[/] [link=http://x.test]click[/link]" in out
    assert rf.XSS_IMG in out  # the failed job's error, as text


def test_csv_cells_cannot_become_spreadsheet_formulas():
    records = rf.records()
    records[0]["model"]["name"] = '=HYPERLINK("http://x.test")'
    text = to_csv(records)
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text


def test_render_accepts_records_without_optional_fields():
    bare = {"job_id": "j-bare", "task": "t", "status": "ok", "primary_metric": "acc",
            "quality": {"acc": {"value": 0.5}}}  # fmt: skip
    html = render_html([bare], {}, None)
    assert "j-bare" in html and "No environment recorded." in html


def test_render_accepts_a_failed_skeleton_record():
    skeleton = {"job_id": "j-x", "task": "t", "status": "failed", "error": "killed",
                "higher_is_better": None, "primary_metric": None, "quality": {}, "phases": {},
                "model": {"name": "m"}, "variant": {"name": "v"}}  # fmt: skip
    page = render_html([skeleton], {}, {})
    assert "killed" in page and "higher is better" in page


def test_an_empty_run_says_so():
    assert "No jobs recorded in this run yet." in render_html([], {}, {})
    assert to_markdown([]) == "No jobs recorded.\n"
