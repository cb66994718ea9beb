"""Hostile and damaged stores (issue 13): ``report`` and ``recommend`` open a store read-only,
refuse a foreign file without writing to it, name the job whose record cannot be read and show
the rest, and make text safe for every export and for the terminal."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))  # the report tests' fixtures
import report_fixtures as rf

from greenbench.cli import main as cli

FORMATS = ["html", "md", "json", "csv", "parquet"]
#: Window title (OSC 0), clear screen (CSI 2J), clipboard write (OSC 52), 8-bit CSI.
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x1b\\\x9b31m"


@pytest.fixture(autouse=True)
def _report_commands(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ["report", "recommend", "measure"])


@pytest.fixture
def run_dir(tmp_path):
    return rf.build_store(tmp_path, rf.records(), rf.samples_by_job(), rf.META)


def _commands(run_dir: Path) -> list[list[str]]:
    reports = [["report", str(run_dir), "--format", f] for f in FORMATS]
    return [*reports, ["recommend", str(run_dir), "--task", "text-to-sql"]]


def _fingerprint(path: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of ``path``, or of every file in it when it is a directory."""
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


@pytest.mark.parametrize("kind", ["sqlite", "text"])
def test_a_foreign_file_is_refused_and_never_written(tmp_path, capsys, kind):
    path = tmp_path / "results.db"
    if kind == "sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('my data')")
        conn.commit()
        conn.close()
    else:
        path.write_text("meeting notes, not a database\n" * 100)
    before = _fingerprint(tmp_path)
    for argv in _commands(tmp_path):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not a greenbench results store" in err, err
        assert _fingerprint(tmp_path) == before  # same files, same bytes, same mtimes


def test_measure_out_refuses_a_foreign_sqlite_file(tmp_path, capsys):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = _fingerprint(tmp_path)
    assert cli.main(["measure", "--out", str(path), "--", "true"]) == 2
    assert "not a greenbench results store" in capsys.readouterr().err
    assert _fingerprint(tmp_path) == before


def test_report_never_writes_to_the_store(run_dir):
    store = run_dir / "results.db"
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    for argv in _commands(run_dir):
        assert cli.main(argv) == 0, argv
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before


def _crash_while_writing(run_dir: Path) -> None:
    """A writer that commits one more job to the WAL, then dies without checkpointing."""
    extra = rf.record("j-late", model="late-lm", quality=0.5, inference_j=50.0)
    code = (
        "import json, os, sys\nfrom greenbench.store import ResultsStore\n"
        "store = ResultsStore(sys.argv[1])\n"
        "store._conn.execute('PRAGMA wal_autocheckpoint=0')\n"
        "store.put_job(json.loads(sys.argv[2]))\nos._exit(9)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(cli.__file__).parents[2])}
    args = [sys.executable, "-c", code, str(run_dir / "results.db"), json.dumps(extra)]
    assert subprocess.run(args, env=env).returncode == 9


def test_a_store_left_by_a_crashed_writer_is_read_with_its_wal(run_dir, capsys):
    _crash_while_writing(run_dir)
    assert (run_dir / "results.db-wal").stat().st_size > 0
    assert cli.main(["report", str(run_dir), "--format", "json", "--out", "-"]) == 0
    ids = {r["job_id"] for r in json.loads(capsys.readouterr().out)}
    assert "j-late" in ids and "j-small" in ids


def test_a_store_whose_wal_was_deleted_still_reports(run_dir, capsys):
    _crash_while_writing(run_dir)
    (run_dir / "results.db-wal").unlink()  # the -shm left behind describes a WAL that is gone
    assert cli.main(["report", str(run_dir), "--format", "json", "--out", "-"]) == 0
    ids = {r["job_id"] for r in json.loads(capsys.readouterr().out)}
    assert {r["job_id"] for r in rf.records()} <= ids  # the committed, checkpointed jobs


def test_a_store_whose_wal_index_cannot_be_opened_is_recovered_on_a_copy(run_dir, capsys):
    _crash_while_writing(run_dir)
    shm = run_dir / "results.db-shm"
    shm.unlink()
    shm.symlink_to(run_dir / "no-such-dir" / "shm")  # SQLite cannot open the WAL index
    before = _fingerprint(run_dir / "results.db")
    assert cli.main(["report", str(run_dir), "--format", "json", "--out", "-"]) == 0
    ids = {r["job_id"] for r in json.loads(capsys.readouterr().out)}
    assert "j-late" in ids and "j-small" in ids  # the WAL's job too
    assert _fingerprint(run_dir / "results.db") == before
    assert shm.is_symlink() and not (run_dir / "no-such-dir").exists()


def _set_record(run_dir: Path, job_id: str, text: str) -> None:
    conn = sqlite3.connect(run_dir / "results.db")
    conn.execute("UPDATE jobs SET record = ? WHERE job_id = ?", (text, job_id))
    conn.commit()
    conn.close()


def _stored(run_dir: Path, job_id: str) -> dict:
    conn = sqlite3.connect(run_dir / "results.db")
    (text,) = conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    conn.close()
    return json.loads(text)


def _bad_record(run_dir: Path, kind: str) -> None:
    if kind == "invalid-json":
        _set_record(run_dir, "j-large", '{"job_id": "j-large", "model": ')
    elif kind == "wrong-type":
        record = _stored(run_dir, "j-large")
        record["samples"] = "many"
        record["model"] = ["not", "a", "model"]
        _set_record(run_dir, "j-large", json.dumps(record))
    else:  # a damaged page: the record's overflow chain points past the end of the file
        record = _stored(run_dir, "j-large")
        record["error"] = "x" * 20_000 + "END-OF-J-LARGE"
        _set_record(run_dir, "j-large", json.dumps(record))
        conn = sqlite3.connect(run_dir / "results.db")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
        path = run_dir / "results.db"
        data = bytearray(path.read_bytes())
        last = data.index(b"END-OF-J-LARGE") // page + 1  # 1-based number of the last page
        # The overflow page before it starts with its number (the next-page pointer).
        before = next(
            i for i in range(0, len(data), page) if data[i : i + 4] == last.to_bytes(4, "big")
        )
        data[before : before + 4] = (0xFFFFFF).to_bytes(4, "big")
        path.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["invalid-json", "wrong-type", "damaged-page"])
def test_an_unreadable_record_is_named_and_the_rest_renders(run_dir, capsys, kind):
    _bad_record(run_dir, kind)
    for argv in _commands(run_dir):
        assert cli.main(argv) == 0, argv
        err = capsys.readouterr().err
        warnings = [line for line in err.splitlines() if line.startswith("greenbench: warning:")]
        assert len(warnings) == 1 and "job j-large" in warnings[0], err
        assert "Traceback" not in err
    data = json.loads((run_dir / "report.json").read_text("utf-8"))
    assert {r["job_id"] for r in data} == {r["job_id"] for r in rf.records()} - {"j-large"}
    assert "small-lm" in (run_dir / "report.html").read_text("utf-8")


def test_lone_surrogates_are_replaced_in_every_export(run_dir):
    record = _stored(run_dir, "j-small")
    record["model"]["name"] = "lone\ud800surrogate"
    record["error"] = "bad \udfff text"
    _set_record(run_dir, "j-small", json.dumps(record))  # JSON escapes carry the surrogates
    for argv in _commands(run_dir)[:-1]:
        assert cli.main(argv) == 0, argv
    for fmt in ("html", "md", "json", "csv"):
        text = (run_dir / f"report.{fmt}").read_text("utf-8")
        assert "lone\ufffdsurrogate" in text, fmt
    pq = pytest.importorskip("pyarrow.parquet")
    models = set(pq.read_table(run_dir / "report.parquet").column("model").to_pylist())
    assert "lone\ufffdsurrogate" in models


def test_escape_sequences_never_reach_the_terminal(tmp_path, capsys):
    records = rf.records()
    records[0]["model"]["name"] = f"small{ESCAPES}-lm"
    records[-1]["error"] = f"died {ESCAPES} here"
    run_dir = rf.build_store(tmp_path, records, rf.samples_by_job(), rf.META)
    printed = ""
    for argv in (
        ["report", str(run_dir), "--format", "md"],
        ["recommend", str(run_dir), "--task", "text-to-sql", "--min-quality", "0"],
        ["report", str(tmp_path / f"missing{ESCAPES}")],
    ):
        cli.main(argv)
        out, err = capsys.readouterr()
        printed += out + err
    assert "small-lm" in printed and "died  here" in printed  # shown, without the escapes
    assert not any(ch in printed for ch in "\x1b\x07\x9b")
