"""A sweep that fine-tunes an image classifier's head: the record's finetune phase, and the
watt-for-what view's training electricity read from it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from greenbench.report.studies import study_tables
from greenbench.sweep.runner import Overrides, prepare, run_sweep
from greenbench.units import J_PER_KWH

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from tiny import LABELS, build_classifier


def _sweep(tmp_path: Path, model: dict, finetune: dict) -> list[dict]:
    config = {
        "name": "vision-train",
        "meter": "estimate",
        "idle_seconds": 0,
        "cooldown_s": 0,
        "limit": 3,
        "location": {"country": "FRA"},
        "tasks": [{"name": "image-classification"}],
        "models": [
            {
                **model,
                "architecture": "image-classifier",
                "variants": [{"name": "head", "batch_size": 4, "finetune": finetune}],
            }
        ],
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(config))
    config, jobs = prepare(path, Overrides())
    assert [(j.variant.name, j.added_as_base) for j in jobs] == [("base", True), ("head", False)]
    out = tmp_path / "run"
    outcome = run_sweep(config, jobs, out)
    assert outcome.failed == [], outcome
    return json.loads((out / "results.json").read_text())


def _check_view(base: dict, tuned: dict) -> None:
    (table,) = study_tables("watt-for-what", [base, tuned])
    rows = {row[1]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    kwh = tuned["phases"]["finetune"]["energy_j"]["total"] / J_PER_KWH
    assert rows["head"]["training electricity (kWh)"] == pytest.approx(kwh)
    assert kwh > 0
    assert "no training phase" not in (rows["head"]["note"] or "")
    assert rows["base"]["training electricity (kWh)"] is None
    assert "no training phase in this job" in rows["base"]["note"]


def test_a_head_probe_of_an_hf_classifier_on_an_image_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    model_dir = build_classifier(tmp_path / "vit")
    folder = tmp_path / "images"
    for name, colour in zip(LABELS[:2], ("red", "blue"), strict=True):
        (folder / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (20, 16), colour).save(folder / name / f"{i}.png")
    finetune = {"method": "head", "steps": 4, "batch_size": 4, "data": str(folder)}
    base, tuned = _sweep(tmp_path, {"name": "tiny-vit", "source": str(model_dir)}, finetune)
    assert "finetune" in tuned["phases"] and "finetune" not in base["phases"]
    assert tuned["finetune_result"]["train_samples"] == 6
    assert tuned["finetune_result"]["trainable_params"] == 32 * len(LABELS) + len(LABELS)
    assert tuned["finetune_result"]["tokens"] is None
    assert tuned["model"]["params_trainable"] == 32 * len(LABELS) + len(LABELS)
    assert tuned["emissions_g"]["finetune"] > 0
    _check_view(base, tuned)


@pytest.mark.slow
def test_a_head_probe_of_efficientnet_on_the_tasks_training_images(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    model = {"name": "efficientnet-lite0", "source": "zoo:efficientnet-lite0", "kind": "torch"}
    finetune = {"method": "head", "epochs": 1, "batch_size": 8, "learning_rate": 1e-3}
    base, tuned = _sweep(tmp_path, model, finetune)
    assert tuned["finetune_result"]["train_samples"] == 28  # data.train: 7 photos x 4 views
    assert tuned["finetune_result"]["steps"] == 4
    assert tuned["finetune_result"]["trainable_params"] == 1280 * 1000 + 1000
    assert tuned["quality"]["top1_accuracy"]["value"] is not None
    _check_view(base, tuned)


def test_an_image_folder_class_the_model_lacks_stops_the_sweep_before_any_job(tmp_path, capsys):
    from greenbench.cli.main import main

    folder = tmp_path / "images"
    for name in ("tabby", "not-an-imagenet-class"):
        (folder / name).mkdir(parents=True)
    config = {
        "name": "bad-classes",
        "tasks": [{"name": "image-classification"}],
        "models": [
            {
                "name": "efficientnet-lite0",
                "source": "zoo:efficientnet-lite0",
                "kind": "torch",
                "architecture": "image-classifier",
                "variants": [{"name": "head", "finetune": {"method": "head", "data": str(folder)}}],
            }
        ],
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1
    assert errors[0].startswith("greenbench: error: model 'efficientnet-lite0' variant 'head'")
    assert "class 'not-an-imagenet-class' is not among the model's 1000 labels" in errors[0]
    assert not (tmp_path / "run" / "results.json").exists()
