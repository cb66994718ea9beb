"""Third-party energy sources, backends and tasks are found through their entry points."""

from __future__ import annotations

import json

import pytest

from greenbench.cli import main as cli
from greenbench.energy import EnergyMeter, available_sources, meter_names
from greenbench.errors import GreenbenchError
from greenbench.models import ModelSpec, Variant, load_backend
from greenbench.models.backends import BACKENDS
from greenbench.plugins import Catalogue
from greenbench.sweep.config import parse_config
from greenbench.tasks import list_tasks, load_task

SOURCE = """
class Constant:
    name = "constant"
    components = ["gpu:0"]
    provenance = {"gpu:0": "estimated:constant(5 J per window)"}

    def begin(self):
        return None

    def end(self, state):
        return {"gpu:0": 5.0}

    def close(self):
        pass


def PLUGIN(options):
    return Constant()
"""

BACKEND = """
from greenbench.models.base import Backend, Generation, ParamCounts


class PLUGIN(Backend):
    kind = "echo"

    def params(self):
        return ParamCounts(total=3, trainable=0)

    def generate(self, prompts, **kwargs):
        return [Generation(p.upper(), 1, 1) for p in prompts]
"""


def test_a_registered_energy_source_is_a_meter(install):
    install("greenbench.energy_sources", "constant", "fake_source", SOURCE)
    assert meter_names()[-1] == "constant"
    assert ("constant", True, "measures gpu:0") in available_sources()
    with EnergyMeter("constant") as meter, meter.window("w") as window:
        pass
    assert window.measurement.energy_j == {"gpu:0": 5.0}
    assert window.measurement.estimated


def test_a_registered_source_is_listed_and_accepted_by_a_sweep(install, capfd):
    install("greenbench.energy_sources", "constant", "fake_source2", SOURCE)
    assert cli.main(["meters", "--json"]) == 0
    names = [row["name"] for row in json.loads(capfd.readouterr().out)]
    assert names == ["rapl", "nvml", "estimate", "codecarbon", "constant"]
    config = {"tasks": ["sentiment"], "models": [{"name": "m", "source": "x"}], "meter": "constant"}
    assert parse_config(config, "x.yaml").meter == "constant"


def test_a_registered_backend_is_a_model_kind(install):
    install("greenbench.backends", "echo", "fake_backend", BACKEND)
    assert "echo" in BACKENDS and "echo" not in BACKENDS.builtin()
    backend = load_backend(ModelSpec(name="e", source="anything", kind="echo"), Variant())
    assert [g.text for g in backend.generate(["hi"])] == ["HI"]
    assert backend.params().total == 3


def test_a_broken_plugin_is_a_one_line_error_naming_it(install):
    install("greenbench.backends", "broken", "fake_broken", "NOT_PLUGIN = 1\n")
    with pytest.raises(GreenbenchError) as caught:
        load_backend(ModelSpec(name="b", source="anything", kind="broken"), Variant())
    message = str(caught.value)
    assert "greenbench.backends plugin 'broken' = 'fake_broken:PLUGIN'" in message
    assert "AttributeError" in message and "\n" not in message


def test_a_registered_task_is_loaded_by_name(install, tmp_path):
    builtin = load_task("sentiment").path
    data = f"{builtin.parent.parent / 'data'}/"  # data paths made absolute: the YAML moves
    yaml = builtin.read_text().replace("name: sentiment", "name: mood").replace("../data/", data)
    (tmp_path / "mood.yaml").write_text(yaml)
    install("greenbench.tasks", "mood", "fake_task", f"PLUGIN = {str(tmp_path / 'mood.yaml')!r}")
    task = load_task("mood")
    assert task.name == "mood" and task.path == tmp_path / "mood.yaml"
    assert "mood" in [t.name for t in list_tasks()]


def test_builtins_win_and_nothing_is_read_before_it_is_needed(install):
    catalogue = Catalogue("greenbench.backends", {"hf": "greenbench.models.backends.hf:HFBackend"})
    assert catalogue["hf"] == "greenbench.models.backends.hf:HFBackend"
    assert catalogue._found is None  # a built-in name is answered without reading entry points
    install("greenbench.backends", "hf", "fake_hf", BACKEND)
    assert list(catalogue) == ["hf"]
    assert catalogue["hf"] == "greenbench.models.backends.hf:HFBackend"
