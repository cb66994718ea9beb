"""Without a Ray instance: what a node does to a job before running it (its idle baseline in
the job's GPU view, its location from node labels), and the driver's address check."""

from __future__ import annotations

import socket

import pytest

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.ray_executor import RayExecutor
from greenbench.sweep.executors.ray_node import job_baseline, node_carbon

IDLE = {
    "power_w": {"cpu": 20.0, "ram": 3.0, "gpu:0": 50.0, "gpu:1": 51.0, "gpu:2": 52.0},
    "duration_s": 5.0,
    "provenance": {
        "cpu": "measured:rapl",
        "ram": "estimated:rss",
        "gpu:0": "measured:nvml",
        "gpu:1": "measured:nvml",
        "gpu:2": "measured:nvml",
    },
}


def test_the_baseline_keeps_only_the_jobs_gpus_renumbered_as_the_job_sees_them():
    # the node was calibrated with GPUs 4,5,6 (CUDA order); Ray gave the job GPU 6 then 4
    baseline = job_baseline(IDLE, ["4", "5", "6"], ["6", "4"])
    assert baseline["power_w"] == {"cpu": 20.0, "ram": 3.0, "gpu:0": 52.0, "gpu:1": 50.0}
    assert baseline["provenance"]["gpu:1"] == "measured:nvml"
    assert set(baseline["provenance"]) == set(baseline["power_w"])
    assert baseline["duration_s"] == 5.0


def test_a_cpu_job_gets_no_gpu_idle_power():
    baseline = job_baseline(IDLE, ["0", "1", "2"], [])
    assert baseline["power_w"] == {"cpu": 20.0, "ram": 3.0}


def test_no_calibration_means_no_baseline():
    assert job_baseline(None, ["0"], ["0"]) is None


def test_node_labels_give_the_nodes_grid():
    assert node_carbon({"other": "x"}) is None
    carbon = node_carbon({"greenbench-country": "DEU", "greenbench-pue": "1.2"})
    assert carbon["country"] == "DEU" and carbon["pue"] == 1.2
    fixed = node_carbon({"greenbench-carbon-intensity": "100"})
    assert fixed["intensity_g_per_kwh"] == 100.0


def test_a_wrong_location_label_is_a_one_line_error_naming_the_labels():
    with pytest.raises(GreenbenchError, match="node labels greenbench-"):
        node_carbon({"greenbench-country": "ZZZ"})


def test_an_address_where_no_head_listens_fails_at_once_naming_it(tmp_path):
    pytest.importorskip("ray")
    with socket.socket() as sock:  # a port nothing listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(GreenbenchError, match=f"--address {address}: no Ray head answers"):
            RayExecutor(address=address).run([_job()], lambda record, samples: None)


def _job():
    from fake_jobs import fake_jobs

    return fake_jobs("fake:ok")[0]
