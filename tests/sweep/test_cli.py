"""`greenbench run`: the plan, validation of the shipped configs, one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from greenbench.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def test_dry_run_of_the_quickstart_prints_the_plan(capsys):
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "plan: 13 jobs" in out
    assert out.count("smollm2-135m-instruct") == 10
    assert out.count("efficientnet-lite0") == 3
    assert "lora-r8" in out and "output: runs/quickstart" in out


@pytest.mark.parametrize("name", ["cegi", "slm-vs-llm", "watt-for-what"])
def test_the_study_configs_validate_offline(name, capsys):
    assert main(["run", str(REPO / "configs" / f"{name}.yaml"), "--dry-run"]) == 0
    assert "plan: " in capsys.readouterr().out


def plan_ids(argv, capsys) -> list[str]:
    assert main(["run", "--dry-run", *argv]) == 0
    return re.findall(r"j-[0-9a-f]{12}", capsys.readouterr().out)


def test_overrides_change_the_plan(capsys):
    default = plan_ids([], capsys)
    assert plan_ids([], capsys) == default
    assert len(set(default)) == 13
    for flags in (["--limit", "3"], ["--country", "DEU"], ["--repeats", "2"]):
        assert set(plan_ids(flags, capsys)).isdisjoint(default), flags


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tasks: [sentiment]\nmodels: [{name: m, source: x, kind: onnx2}]\n", "models[0].kind:"),
        ("tasks: [no-such-task]\nmodels: [{name: m, source: x}]\n", "tasks[0]: unknown task"),
        (
            "tasks: [sentiment]\nmodels: [{name: m, source: x}]\nlocation: {country: XYZ}\n",
            "location: unknown country 'XYZ'",
        ),
        ("tasks: [sentiment\n", "not valid YAML"),
    ],
)
def test_bad_configs_exit_2_with_one_line_naming_the_file(tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["run", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"greenbench: error: {path}") and message in err
    assert "\n" not in err


def test_a_missing_config_file_is_named(capsys):
    assert main(["run", "nowhere.yaml", "--dry-run"]) == 2
    assert "nowhere.yaml: no such config file" in capsys.readouterr().err
