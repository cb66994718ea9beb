"""``--executor ray --address HOST:PORT`` against a cluster started with ``ray start --head``.

The head listens on 127.0.0.1 only; the drivers are separate processes, as on a real cluster.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from ray_sweep import HERE, summary

from greenbench.store import ResultsStore

pytestmark = pytest.mark.ray

RAY = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(ray_env):
    """A one-node cluster (2 CPUs) on loopback; yields its address; ``ray stop`` at the end."""
    pytest.importorskip("ray")
    port = _free_port()
    start = [RAY, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port)]
    start += ["--num-cpus", "2", "--disable-usage-stats", "--include-dashboard=false"]
    subprocess.run(start, check=True, capture_output=True, env=os.environ, timeout=120)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([RAY, "stop"], capture_output=True, env=os.environ, timeout=120)


def test_cli_run_on_a_cluster_matches_local(cluster, tiny_config, local_summary, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "greenbench", "run", str(tiny_config), "--out", str(out)]
    cmd += ["--executor", "ray", "--address", cluster, "--max-retries", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    records = json.loads((out / "results.json").read_text())
    assert summary(out) == local_summary
    assert {r["node"]["ip"] for r in records} == {"127.0.0.1"}
    assert "jobs per Ray node" in done.stderr


def _wait(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _runs(log: Path) -> list[tuple[str, int]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [(line.split()[0], int(line.split()[1])) for line in lines]


def _results(out: Path) -> list[dict]:
    path = out / "results.json"
    return json.loads(path.read_text()) if path.exists() else []


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_resume_after_the_driver_is_killed(cluster, ray_env, tmp_path):
    out = tmp_path / "run"
    log = Path(ray_env["GB_FAKE_LOG"])
    log.unlink(missing_ok=True)
    sources = ("fake:ok", "fake:sleep", "fake:ok")  # 4 jobs; the third sleeps GB_FAKE_SLEEP s
    driver_cmd = [sys.executable, str(HERE / "ray_driver.py"), str(out), cluster, *sources]
    driver = subprocess.Popen(driver_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: len(_runs(log)) == 3)  # two jobs done, the sleeper started
        _wait(lambda: len(_results(out)) == 2)
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=10)
    finally:
        if driver.poll() is None:
            driver.kill()
    sleeper, sleeper_pid = _runs(log)[2]
    _wait(lambda: _gone(sleeper_pid), timeout=30)  # Ray ended the dead driver's job worker

    subprocess.run(driver_cmd, check=True, capture_output=True, timeout=300)
    runs = [job for job, _ in _runs(log)]
    first_two = runs[:2]
    assert all(runs.count(job) == 1 for job in first_two)  # nothing finished is redone
    assert runs.count(sleeper) == 2  # the job in flight ran again
    with ResultsStore(out / "results.db") as store:
        assert store.integrity_ok()
        assert len(store.done_job_ids()) == 4
    records = _results(out)
    assert len(records) == 4 and all(r["status"] == "ok" for r in records)


def test_without_an_address_the_sweep_gets_a_private_instance_not_the_cluster(
    cluster, tmp_path, monkeypatch
):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    probe = (
        "import ray, sys; ray.init(address=sys.argv[1]); "
        "print(ray.get_runtime_context().get_node_id())"
    )
    head = subprocess.run(
        [sys.executable, "-c", probe, cluster], capture_output=True, text=True, timeout=120
    ).stdout.split()[-1]
    out = tmp_path / "run"
    cmd = [sys.executable, str(HERE / "ray_driver.py"), str(out), "-", "fake:ok"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    records = _results(out)
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    assert head not in {r["node"]["id"] for r in records}
    assert {r["node"]["ip"] for r in records} == {"127.0.0.1"}
