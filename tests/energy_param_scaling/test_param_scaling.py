"""Param-scaling estimate for models that cannot run locally."""

from __future__ import annotations

import subprocess
import sys

import pytest

from greenbench.energy.param_scaling import (
    J_PER_QUERY_AT_REFERENCE,
    J_PER_TOKEN_PER_ACTIVE_PARAM,
    estimate_inference_energy,
)
from greenbench.errors import GreenbenchError


def test_reference_model_costs_the_reference_energy_without_pue():
    result = estimate_inference_energy(100e9, queries=1)
    assert pytest.approx(0.3 * 3600 / 1.2) == J_PER_QUERY_AT_REFERENCE  # 900 J
    assert result["energy_j"] == {"total": pytest.approx(900.0), "estimate": pytest.approx(900.0)}
    assert result["duration_s"] is None
    provenance = result["provenance"]["estimate"]
    assert provenance.startswith("estimated:param-scaling(")
    assert "Epoch AI 2025" in provenance and "PUE 1.2 removed" in provenance


def test_energy_is_linear_in_active_params_queries_and_tokens():
    small = estimate_inference_energy(0.5e9, queries=10)["energy_j"]["total"]
    large = estimate_inference_energy(235e9, queries=10)["energy_j"]["total"]
    assert large / small == pytest.approx(470.0)
    per_token = estimate_inference_energy(8e9, queries=3, generated_tokens=600)
    assert per_token["energy_j"]["total"] == pytest.approx(J_PER_TOKEN_PER_ACTIVE_PARAM * 8e9 * 600)
    # 500 tokens per query is the reference query: both forms agree there
    by_tokens = estimate_inference_energy(8e9, queries=3, generated_tokens=1500)["energy_j"]
    assert by_tokens["total"] == pytest.approx(
        estimate_inference_energy(8e9, 3)["energy_j"]["total"]
    )
    assert "600 generated tokens" in per_token["provenance"]["estimate"]


def test_bad_inputs_are_refused():
    with pytest.raises(GreenbenchError, match="active_params"):
        estimate_inference_energy(0, queries=1)
    with pytest.raises(GreenbenchError, match="must be >= 0"):
        estimate_inference_energy(1e9, queries=-1)


def test_module_imports_neither_models_nor_tasks():
    code = (
        "import sys, greenbench.energy.param_scaling; "
        "print(any(m.startswith(('greenbench.models', 'greenbench.tasks')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
