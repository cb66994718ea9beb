"""The HTML report: every section, numbers equal to the store's, provenance shown, offline."""

from __future__ import annotations

import json
import re

import pytest
import report_fixtures as rf
from report_dom import parse_html

from greenbench.errors import GreenbenchError
from greenbench.report import render_html, write_html


def _row(page, job_id):
    return page.find("tr", data_job=job_id)


def test_every_section_is_present(page):
    ids = {e.attrs.get("id") for e in page.find_all("section")}
    assert {"task-1", "task-2", "failed", "environment", "provenance", "samples", "config"} <= ids
    headings = [e.text for e in page.find_all("h2")]
    assert headings[:2] == ["summarization", "text-to-sql"]
    # one sortable leaderboard per task, with every successful job of the task
    boards = page.find_all("table", class_="leaderboard")
    assert [b.attrs["data-task"] for b in boards] == ["summarization", "text-to-sql"]
    jobs = [tr.attrs["data-job"] for tr in boards[1].find_all("tr") if "data-job" in tr.attrs]
    assert sorted(jobs) == ["j-large", "j-measured", "j-small", "j-small-lora", "j-xss"]
    assert all("sortable" in b.classes() for b in boards)


def test_leaderboard_numbers_match_the_records(page):
    for record in rf.records():
        if record["status"] != "ok":
            continue
        cells = _row(page, record["job_id"]).find_all("td")
        metric = record["quality"][record["primary_metric"]]
        sort_values = [c.attrs.get("data-sort") for c in cells]
        assert float(sort_values[2]) == pytest.approx(metric["value"])
        assert float(sort_values[3]) == pytest.approx(record["energy_per_1k_queries_j"])
        assert float(sort_values[4]) == pytest.approx(record["emissions_per_query_g"])
        assert float(sort_values[5]) == pytest.approx(rf.job_emissions_g(record))
        assert float(sort_values[8]) == record["model"]["params_total"]
        assert float(sort_values[9]) == record["model"]["params_trainable"]
        # the CI is printed under the value
        assert cells[2].text.endswith(f"–{metric['ci_high']:.3f}")


def test_best_quality_ranks_first_and_frontier_is_starred(page):
    rows = [tr for tr in page.find_all("tr") if tr.attrs.get("data-job", "").startswith("j-")]
    sql = [tr.attrs["data-job"] for tr in rows if tr.attrs["data-job"] != "j-sum"]
    assert sql[:5] == ["j-large", "j-small-lora", "j-small", "j-measured", "j-xss"]
    starred = {tr.attrs["data-job"] for tr in rows if tr.find_all("span", class_="star")}
    # j-xss (0.10 quality at 7.5 J/query) is dominated; the others are not
    assert starred == {"j-large", "j-small-lora", "j-small", "j-measured", "j-sum"}


def test_estimated_figures_are_distinct_and_name_their_method(page):
    estimated = _row(page, "j-small").find_all("td", class_="est")
    assert len(estimated) >= 4  # energy/1k, CO2e/query, CO2e job, GQI
    for cell in estimated:
        assert "†" in cell.text
        assert "estimated:cpu-time×tdp(65W)" in cell.attrs["title"]
    measured = _row(page, "j-measured")
    assert not measured.find_all("td", class_="est")
    assert "measured:rapl" in measured.find_all("td")[3].attrs["title"]
    assert measured.find("span", class_="badge").text == "measured"
    assert _row(page, "j-small").find("span", class_="badge").text == "est."
    # the legend explains the marks
    assert "Estimated figures" in page.find("div", id="legend").text


def test_energy_provenance_lists_every_phase_and_component(page):
    table = page.find("table", class_="provenance")
    rows = table.find("tbody").find_all("tr")
    # per record: each phase has 2 components + total
    expected = sum(3 * len(r["phases"]) for r in rf.records())
    assert len(rows) == expected
    texts = [r.text for r in rows]
    assert any("finetune" in t and "estimated:rss×0.375W/GB" in t for t in texts)
    assert any("measured:rapl" in t for t in texts)
    # the summary names each method once, measured first, with the jobs using it
    methods = [
        [td.text.strip() for td in tr.find_all("td")]
        for tr in page.find("table", class_="methods").find("tbody").find_all("tr")
    ]
    assert methods[0] == ["measured", "measured:rapl", "cpu (inference), cpu (load), "
                          "dram (inference), dram (load)", "1"]  # fmt: skip
    assert methods[1][:2] == ["est.", "estimated:cpu-time×tdp(65W)"] and methods[1][3] == "6"


def test_leaderboard_names_the_energy_basis(page):
    for job_id, badge, basis in [("j-measured", "measured", "net"), ("j-small", "est.", "gross")]:
        cell = page.find("tr", data_job=job_id).find_all("td")[-1]
        assert cell.find("span", class_="badge").text == badge
        assert cell.find("span", class_="details").text == basis


def test_environment_and_carbon_are_shown(page):
    env = page.find("section", id="environment").text
    for expected in ["Test CPU 9000", "packages.torch", "2.13.0", "3.11.7", "FRA", "56.0",
                     "grid table (test)", "2023", "1.20", "Idle baseline", "power_w.total",
                     "4.2"]:  # fmt: skip
        assert expected in env


def test_default_location_is_called_world_average():
    records = rf.records()
    carbon = {**rf.CARBON, "country": None, "is_default": True, "intensity_g_per_kwh": 475.0}
    for record in records:
        record["carbon"] = carbon
    page = parse_html(render_html(records, {}, {}))
    assert "world average, no location given" in page.find("section", id="environment").text


def test_failed_jobs_show_their_error(page):
    failed = page.find("section", id="failed")
    assert "j-failed" in failed.text
    assert "RuntimeError: out of memory" in failed.find("pre", class_="error").text


def test_sample_browser_has_one_collapsible_block_per_job(page):
    blocks = page.find_all("details", class_="job")
    assert [b.attrs["data-job"] for b in blocks] == [r["job_id"] for r in rf.records()]
    small = page.find("details", data_job="j-small")
    cells = small.find("tbody").find("tr").find_all("td")
    assert cells[1].text == "How many planets have more than 2 moons?"
    assert cells[2].text == "SELECT count(*) FROM planets WHERE moons > 2"
    assert cells[4].text == "execution_accuracy: 1.00"
    assert "No samples recorded." in page.find("details", data_job="j-failed").text


def test_figures_are_embedded_as_json_with_a_pareto_frontier(page):
    plots = page.find_all("div", class_="plot")
    assert len(plots) == 8  # 2 tasks × (2 scatters + 2 stacked bars)
    for div in plots:
        source = page.find("script", id=div.attrs["data-figure"])
        assert source.attrs["type"] == "application/json"
        figure = json.loads(source.text)
        assert figure["data"] and figure["layout"]["title"]["text"]
    scatter = json.loads(page.find("script", id=plots[4].attrs["data-figure"]).text)
    names = [t.get("name") for t in scatter["data"]]
    assert names == ["measured (filled)", "estimated † (open)", "Pareto frontier"]
    frontier = scatter["data"][2]
    assert frontier["y"] == [0.30, 0.40, 0.62, 0.66]  # ascending energy per query
    bars = json.loads(page.find("script", id=plots[6].attrs["data-figure"]).text)
    assert {t["name"] for t in bars["data"]} == {"load", "finetune", "inference"}
    assert all(t["type"] == "bar" for t in bars["data"])
    assert bars["layout"]["barmode"] == "stack"


def test_report_is_self_contained(rendered):
    markup = re.sub(r"<script[^>]*>.*?</script>", "<script></script>", rendered, flags=re.S)
    assert "<link" not in markup
    assert not re.search(r"<script[^>]*\ssrc=", markup)
    assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", markup)
    # plotly.js is inlined once, and the policy forbids any fetch
    assert rendered.count("<script>") == 2
    assert "default-src 'none'" in rendered and "connect-src 'none'" in rendered


def test_write_html_reads_the_store(run_dir, tmp_path):
    path = write_html(run_dir)
    assert path == run_dir / "report.html"
    page = parse_html(path.read_text("utf-8"))
    assert float(page.find("tr", data_job="j-large").find_all("td")[2].attrs["data-sort"]) == 0.66
    other = write_html(run_dir, tmp_path / "elsewhere.html")
    assert other.is_file()


def test_write_html_without_results_names_the_directory(tmp_path):
    with pytest.raises(GreenbenchError, match=r"no results\.db"):
        write_html(tmp_path)


def test_jobs_on_different_hosts_show_each_environment():
    records = rf.records()
    records[0]["environment"] = {**rf.ENVIRONMENT, "host": "bench-02"}
    page = parse_html(render_html(records, {}, {"environment": {"host": "driver"}}))
    titles = [h.text for h in page.find("section", id="environment").find_all("h3")]
    assert "Hardware and software (6 jobs)" in titles
    assert "Hardware and software (1 job)" in titles
    text = page.find("section", id="environment").text
    assert "bench-02" in text and "driver" not in text  # the records say where jobs ran


def test_each_task_shows_the_default_recommendation(page):
    boxes = page.find_all("div", class_="recommend")
    assert [b.find("strong").text for b in boxes] == [
        "Recommended: small-lm · base",
        "Recommended: small-lm · lora-r8",
    ]
    assert "is repaid after 101 queries" in boxes[1].text


def test_the_sample_browser_shows_each_choices_loglikelihood():
    record = next(r for r in rf.records() if r["job_id"] == "j-small")
    log = {
        "id": "s1",
        "prompt": "Review: fine.\nSentiment:",
        "prediction": "positive",
        "reference": "negative",
        "scores": {"accuracy": 0.0},
        "choice_logprobs": [
            {"choice": "positive", "logprob": -1.25, "tokens": 1},
            {"choice": "negative", "logprob": -2.5, "tokens": 1},
        ],
        "chosen": "positive",
        "chosen_norm": "negative",
    }
    page = parse_html(render_html([record], {"j-small": [log]}, rf.META))
    rows = page.find("table", class_="choices").find("tbody").find_all("tr")
    cells = [[td.text for td in row.find_all("td")] for row in rows]
    assert cells == [
        ["positive (argmax)", "-1.250", "1"],
        ["negative (argmax per character)", "-2.500", "1"],
    ]
