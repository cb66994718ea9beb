"""Hostile sweep configs (issue 13): each gets one line naming the file and exit status 2
before any work, and names and output paths stay where the user pointed them."""

from __future__ import annotations

import pytest
import yaml

from greenbench.cli.main import main

MINIMAL = "tasks: [sentiment]\nmodels: [{name: m, source: x}]\n"


def _refused(tmp_path, capsys, data: bytes | str, message: str, *flags: str) -> None:
    path = tmp_path / "hostile.yaml"
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    assert main(["run", str(path), "--dry-run", "--out", str(tmp_path / "out"), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"greenbench: error: {path}") and err.count("\n") == 1, err
    assert message in err, err
    assert not (tmp_path / "out").exists()


def test_a_latin1_config_is_named_not_utf8(tmp_path, capsys):
    _refused(tmp_path, capsys, "tasks: [sentiment]  # café\n".encode("latin-1"), "not UTF-8")


def test_a_utf16_config_is_named_utf16(tmp_path, capsys):
    _refused(tmp_path, capsys, MINIMAL.encode("utf-16"), "UTF-16 text; save it as UTF-8")


def test_deep_nesting(tmp_path, capsys):
    deep = MINIMAL + "limit: " + "[" * 50_000 + "]" * 50_000 + "\n"
    # libyaml's scanner reports its own depth limit (1000) before greenbench's (100) is reached.
    message = "nesting depth" if hasattr(yaml, "CSafeLoader") else "nested deeper than 100"
    _refused(tmp_path, capsys, deep, message)


def test_nesting_past_greenbench_limit_but_within_libyaml(tmp_path, capsys):
    deep = MINIMAL + "limit: " + "[" * 500 + "]" * 500 + "\n"
    _refused(tmp_path, capsys, deep, "nested deeper than 100 levels")


def test_a_config_over_one_mebibyte(tmp_path, capsys):
    big = MINIMAL + "# padding\n" * 120_000
    _refused(tmp_path, capsys, big, "the limit is 1048576 (1 MiB)")


def test_an_alias_bomb(tmp_path, capsys):
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):  # 10**9 strings once expanded
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    bomb = "tasks: [sentiment]\nmodels: [{name: m, source: x, tasks: *l8}]\n"
    _refused(tmp_path, capsys, "\n".join(lines) + "\n" + bomb, "expands to more than 1000000")


def _many_jobs(n_models: int, n_variants: int) -> str:
    """A small file whose one alias gives every model the same long list of variants."""
    variants = ", ".join(f"{{name: v{i}}}" for i in range(n_variants))
    models = "\n".join(f"  - {{name: m{i}, source: x, variants: *v}}" for i in range(n_models))
    return f"tasks: [sentiment]\nvariants: &v [{variants}]\nmodels:\n{models}\n"


def test_a_plan_over_ten_thousand_jobs(tmp_path, capsys):
    text = _many_jobs(300, 300)
    assert len(text) < 30_000
    _refused(tmp_path, capsys, text, "plans 90000 jobs, more than the limit of 10000")


def test_max_jobs_is_the_named_override(tmp_path, capsys):
    assert main(["run", "--dry-run", "--max-jobs", "13"]) == 0  # the quickstart: 13 jobs
    assert "plan: 13 jobs" in capsys.readouterr().out
    assert main(["run", "--dry-run", "--max-jobs", "12"]) == 2
    assert "raise it with --max-jobs N" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../../../x", "a/b", "..", "sub\\dir"])
def test_a_name_that_is_a_path_is_refused(tmp_path, capsys, name):
    _refused(tmp_path, capsys, MINIMAL + f"name: '{name}'\n", "must be a plain name")


@pytest.mark.parametrize("out", ["../outside", "runs/../../outside"])
def test_an_output_dir_leaving_the_working_directory_is_refused(tmp_path, capsys, out):
    _refused(tmp_path, capsys, MINIMAL + f"output_dir: '{out}'\n", "leaves the working directory")


def test_output_dirs_inside_or_absolute_are_kept(tmp_path, capsys):
    for out in ("runs/a/../b", str(tmp_path / "abs")):
        path = tmp_path / "ok.yaml"
        path.write_text(MINIMAL + f"output_dir: '{out}'\n")
        assert main(["run", str(path), "--dry-run"]) == 0
        assert f"output: {out}" in capsys.readouterr().out
