"""The Ray executor's placement policy on its own: no Ray imported, no instance started."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fake_jobs import fake_jobs

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.placement import Needs, Node, PlacementPolicy

POLICY = PlacementPolicy()


def _job(device: str = "auto", kind: str = "hf"):
    job = fake_jobs("fake:ok")[0]
    return job.model_copy(
        update={
            "variant": job.variant.model_copy(update={"device": device}),
            "model": job.model.model_copy(update={"kind": kind}),
        }
    )


def _node(name: str, cpus: float = 8, gpus: int = 0, slots: int = 1, state="ready") -> Node:
    return Node(
        id=f"{name}0123456789", hostname=name, cpus=cpus, gpus=gpus, slots=slots, state=state
    )


CPU_JOB = Needs(gpus=0, cpus=None)
GPU_JOB = Needs(gpus=1, cpus=1)


@pytest.mark.parametrize(
    ("device", "kind", "nodes", "gpu"),
    [
        ("cpu", "hf", [_node("g", gpus=2)], False),
        ("cuda", "hf", [_node("c")], True),
        ("cuda:1", "hf", [], True),
        ("auto", "hf", [_node("c"), _node("g", gpus=1)], True),
        ("auto", "hf", [_node("c"), _node("g", gpus=1, state="gone")], False),
        ("auto", "hf", [_node("g", gpus=1, state="calibrating")], True),
        ("auto", "estimate", [_node("g", gpus=1)], False),  # an estimate runs no model
    ],
)
def test_a_job_is_a_gpu_job_when_its_device_or_the_cluster_says_so(device, kind, nodes, gpu):
    assert POLICY.needs(_job(device, kind), nodes) == (GPU_JOB if gpu else CPU_JOB)


@pytest.mark.parametrize(
    ("kind", "quantization", "engine_cuda", "gpu"),
    [
        ("torch", "int8-dynamic", True, False),  # CPU-only kernels: no GPU held idle
        ("onnx", "int8-dynamic", True, False),
        ("llamacpp", "none", False, False),  # llama.cpp built without GPU offload
        ("onnx", "none", False, False),  # onnxruntime without its CUDA provider
        ("llamacpp", "none", True, True),
        ("onnx", "none", True, True),
    ],
)
def test_an_auto_job_asks_for_a_gpu_only_when_it_resolves_to_cuda(
    monkeypatch, kind, quantization, engine_cuda, gpu
):
    from greenbench.models import device

    monkeypatch.setattr(device, "engine_has_cuda", lambda engine: engine_cuda)
    job = _job("auto", kind)
    job = job.model_copy(
        update={"variant": job.variant.model_copy(update={"quantization": quantization})}
    )
    assert POLICY.needs(job, [_node("g", gpus=2)]) == (GPU_JOB if gpu else CPU_JOB)


def test_the_policys_options_set_what_a_job_asks_for():
    policy = PlacementPolicy(cpus_per_job=2, num_gpus_per_job=4)
    assert policy.needs(_job("cpu"), []) == Needs(gpus=0, cpus=2)
    assert policy.needs(_job("cuda"), []) == Needs(gpus=4, cpus=2)


@pytest.mark.parametrize("name", ["jobs_per_node", "num_gpus_per_job", "cpus_per_job"])
def test_an_option_out_of_range_is_a_one_line_error_naming_it(name):
    from greenbench.sweep.executors.ray_executor import RayExecutor

    with pytest.raises(GreenbenchError, match=f"^{name}: expected"):
        PlacementPolicy(**{name: 0})
    with pytest.raises(GreenbenchError, match=f"^{name}: expected"):
        RayExecutor(**{name: 0})  # checked when the executor is built, before any job


def test_a_node_takes_jobs_only_once_ready_and_never_once_unusable_or_gone():
    for state in ("new", "calibrating"):
        node = _node("n", state=state)
        assert node.fits_ever(CPU_JOB) and not node.fits_now(CPU_JOB)
    for state in ("unusable", "gone"):
        node = _node("n", state=state)
        assert not node.fits_ever(CPU_JOB) and not node.fits_now(CPU_JOB)
    assert _node("n").fits_now(CPU_JOB)


def test_a_node_fits_a_job_only_with_its_gpus_and_cpus():
    node = _node("n", cpus=4, gpus=2)
    assert node.fits_now(Needs(gpus=2, cpus=4))
    assert not node.fits_ever(Needs(gpus=3, cpus=1))
    assert not node.fits_ever(Needs(gpus=0, cpus=8))
    assert not _node("gpu-only", cpus=0, gpus=1).fits_ever(CPU_JOB)  # a job needs 1 CPU at least


def test_cpu_jobs_take_slots_and_gpu_jobs_take_gpus_until_released():
    node = _node("n", gpus=2, slots=2)
    node.take(CPU_JOB)
    node.take(CPU_JOB)
    assert node.free_slots == 0 and not node.fits_now(CPU_JOB)
    assert node.fits_now(GPU_JOB)  # GPU jobs do not take the node's CPU slots
    node.take(Needs(gpus=2, cpus=1))
    assert node.free_gpus == 0 and not node.fits_now(GPU_JOB)
    node.release(CPU_JOB)
    node.release(Needs(gpus=2, cpus=1))
    assert (node.free_slots, node.free_gpus) == (1, 2)


def test_gpu_jobs_pack_onto_the_node_with_the_fewest_free_gpus_that_fit():
    big, small = _node("big", gpus=4), _node("small", gpus=2)
    small.take(GPU_JOB)
    assert POLICY.choose([big, small], GPU_JOB) is small
    assert POLICY.choose([big, small], Needs(gpus=2, cpus=1)) is big
    assert POLICY.choose([big, small], Needs(gpus=8, cpus=1)) is None


def test_cpu_jobs_go_to_nodes_without_gpus_first_then_to_the_most_free_slots():
    policy = PlacementPolicy(jobs_per_node=2)
    gpu_host = _node("gpu", gpus=1, slots=2)
    busy, free = _node("busy", slots=2), _node("free", slots=2)
    busy.take(CPU_JOB)
    assert policy.choose([gpu_host, busy, free], CPU_JOB) is free
    free.take(CPU_JOB)
    free.take(CPU_JOB)
    busy.take(CPU_JOB)
    assert policy.choose([gpu_host, busy, free], CPU_JOB) is gpu_host
    assert policy.choose([_node("late", state="calibrating")], CPU_JOB) is None


@pytest.mark.parametrize(
    ("jobs_per_node", "cpus", "needs", "asked"),
    [(1, 8, CPU_JOB, 8), (3, 8, CPU_JOB, 2), (4, 2, CPU_JOB, 1), (1, 8, Needs(0, 2.5), 2.5)],
)
def test_a_job_asks_for_its_cpus_or_its_share_of_the_nodes(jobs_per_node, cpus, needs, asked):
    policy = PlacementPolicy(jobs_per_node=jobs_per_node)
    assert policy.task_cpus(_node("n", cpus=cpus), needs) == asked


def test_a_job_no_node_can_ever_take_gets_a_one_line_reason_once_all_are_calibrated():
    cpu, late = _node("cpu", cpus=8), _node("late", gpus=1, state="calibrating")
    assert POLICY.unplaceable([cpu, late], GPU_JOB) is None  # the late node may take it
    late.state = "ready"
    assert POLICY.unplaceable([cpu, late], GPU_JOB) is None
    assert POLICY.unplaceable([cpu, late], Needs(gpus=2, cpus=1)) == (
        "needs 2 GPU(s) on one node; the Ray nodes have at most 1"
    )
    assert POLICY.unplaceable([cpu], GPU_JOB) == (
        "needs 1 GPU(s) on one node; the Ray nodes have at most 0"
    )
    assert POLICY.unplaceable([cpu], Needs(gpus=0, cpus=64)) == (
        "needs 64 CPUs on one node; the Ray nodes have at most 8"
    )
    assert POLICY.unplaceable([_node("gpu-only", cpus=0, gpus=1)], CPU_JOB) == (
        "needs 1 CPUs on one node; the Ray nodes have at most 0"
    )


def test_without_a_usable_node_the_reason_names_each_nodes_error():
    bad = _node("bad", state="unusable")
    bad.error = "RuntimeError: no RAPL"
    gone = _node("gone", state="gone")
    gone.error = "node left the cluster"
    assert POLICY.unplaceable([bad, gone], CPU_JOB) == (
        "no usable Ray node (bad (bad01234): RuntimeError: no RAPL; "
        "gone (gone0123): node left the cluster)"
    )
    assert POLICY.unplaceable([], CPU_JOB) == "no usable Ray node (the cluster has no CPU or GPU)"


def test_the_policy_and_the_executors_options_import_no_ray():
    code = (
        "import sys; sys.modules['ray'] = None\n"  # any `import ray` now fails
        "import greenbench.sweep.executors.placement\n"
        "from greenbench.sweep.executors.ray_executor import RayExecutor\n"
        "RayExecutor(jobs_per_node=2)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
