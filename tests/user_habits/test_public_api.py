"""The public names of ``import greenbench`` resolve to what the docs say (lazily)."""

from __future__ import annotations

import subprocess
import sys

import greenbench
from greenbench.api import Results, evaluate, load
from greenbench.energy import EnergyMeter
from greenbench.tracking.decorator import measured


def test_every_public_name_resolves():
    assert sorted(greenbench.__all__) == [
        "EnergyMeter", "Results", "__version__", "evaluate", "load", "measured",
    ]  # fmt: skip
    assert greenbench.EnergyMeter is EnergyMeter
    assert (greenbench.evaluate, greenbench.load, greenbench.Results) == (evaluate, load, Results)
    assert greenbench.measured is measured
    assert callable(EnergyMeter.begin_window) and callable(EnergyMeter.end_window)


def test_importing_greenbench_stays_cheap():
    code = "import sys, greenbench; print('pandas' in sys.modules, 'mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
