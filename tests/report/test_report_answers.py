"""Degenerate answers, label baselines and agreement in the views: the terminal leaderboard and
the HTML report show them, and recommend never picks a variant that does not beat the majority
baseline — on a constructed sentiment sweep whose fp32 answers are all 'positive'."""

from __future__ import annotations

import pytest
import report_fixtures as rf
from report_dom import parse_html
from rich.console import Console

from greenbench.records.answers import label_answers
from greenbench.report import recommend, render_html
from greenbench.report.recommend import NoneBeatsBaseline
from greenbench.report.terminal import print_leaderboard

CHOICES = ["positive", "negative"]
#: Eight samples, five positive: the majority baseline is 5/8 = 0.625.
REFS = {f"s{i}": ["positive" if i < 5 else "negative"] for i in range(8)}


def job(job_id, variant, given, *, inference_j, quantization="none"):
    correct = sum(g in REFS[k] for k, g in zip(REFS, given, strict=True))
    out = rf.record(
        job_id,
        task="sentiment",
        model="smollm2",
        variant=variant,
        metric="accuracy",
        quality=correct / len(REFS),
        ci=0.05,
        inference_j=inference_j,
        samples=len(REFS),
    )
    out["variant"]["quantization"] = quantization
    out["answers"] = label_answers(dict(zip(REFS, given, strict=True)), REFS, CHOICES).model_dump()
    return out


CONSTANT = ["positive"] * 8  # accuracy 0.625: the majority baseline, no better
GOOD = ["positive"] * 5 + ["negative"] * 2 + ["positive"]  # 7 of 8 right
POOR = ["negative"] * 8  # accuracy 0.375


def sweep(int8=GOOD):
    return [
        job("j-fp32", "fp32", CONSTANT, inference_j=80.0),
        job("j-int8", "int8", int8, inference_j=60.0, quantization="int8-dynamic"),
    ]


def test_recommend_skips_the_constant_answer_and_says_why():
    # The constant fp32 job is the cheapest candidate at its quality... but it is no model.
    records = sweep()
    records[0]["phases"]["inference"]["energy_j"]["total"] = 1.0
    records[0]["energy_per_query_j"] = 0.001
    rec = recommend(records, "sentiment")
    assert rec.chosen.job_id == "j-int8"
    assert [c.job_id for c in rec.candidates] == ["j-int8"]
    assert rec.reasons[-1] == (
        "Not considered, as they do not beat the majority-class baseline: smollm2 · fp32 "
        "(accuracy 0.625 <= majority-class baseline 0.625, always 'positive'; "
        "constant answer: all 8 answers are 'positive')."
    )


def test_recommend_refuses_when_no_variant_beats_the_baseline():
    with pytest.raises(NoneBeatsBaseline, match="no variant of task 'sentiment' beats the"):
        recommend(sweep(int8=POOR), "sentiment")


def test_terminal_shows_the_warning_the_agreement_and_the_baseline_rows():
    console = Console(record=True, width=200)
    print_leaderboard(sweep(), console)
    text = console.export_text()
    assert "⚠ smollm2 · fp32: constant answer: all 8 answers are 'positive'" in text
    assert "majority-class baseline: always 'positive' (5 of 8 samples)" in text
    assert "chance baseline" in text and "0.500" in text
    int8_line = next(line for line in text.splitlines() if "smollm2 · int8" in line)
    assert "0.750" in int8_line  # agreement: 6 of 8 answers are "positive", as fp32's
    fp32_line = next(line for line in text.splitlines() if "smollm2 · fp32" in line)
    assert "reference" in fp32_line and "⚠" in fp32_line


def test_html_report_shows_the_same():
    page = parse_html(render_html(sweep(), {}, rf.META))
    fp32 = page.find("tr", data_job="j-fp32")
    assert "⚠ constant answer: all 8 answers are 'positive'" in fp32.text
    int8 = page.find("tr", data_job="j-int8")
    assert "⚠" not in int8.text
    cells = [td.text for td in int8.find_all("td")]
    assert cells[3] == "0.750"  # the agreement column follows the quality
    refs = page.find_all("tr", class_="reference")
    assert [r.find_all("td")[2].text for r in refs] == ["0.625", "0.500"]
    assert "always 'positive' (5 of 8 samples)" in refs[0].text


def test_html_report_says_why_nothing_is_recommended():
    page = parse_html(render_html(sweep(int8=POOR), {}, rf.META))
    box = page.find("div", class_="recommend")
    assert "No recommendation:" in box.text and "beats the majority-class baseline" in box.text
