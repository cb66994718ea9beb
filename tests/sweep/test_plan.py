"""Plan expansion: stable ids, base variants added and ordered first, config errors."""

from __future__ import annotations

import pytest

from greenbench.errors import GreenbenchError
from greenbench.sweep.config import parse_config
from greenbench.sweep.plan import expand

CARBON = {"country": "FRA", "intensity_g_per_kwh": 56.0, "pue": 1.0}


def config(**changes):
    data = {
        "name": "t",
        "tasks": ["sentiment", {"name": "text-to-sql", "limit": 5}],
        "limit": 10,
        "models": [
            {
                "name": "tiny",
                "source": "/models/tiny",
                "variants": [
                    {"name": "fp32"},
                    {"name": "int8", "quantization": "int8-dynamic"},
                    {
                        "name": "lora",
                        "finetune": {"rank": 4, "steps": 3},
                        "tasks": ["text-to-sql"],
                    },
                ],
            }
        ],
    }
    data.update(changes)
    return data


def ids(data):
    return [j.job_id for j in expand(parse_config(data, "t.yaml"), CARBON)]


def test_same_config_same_ids_whatever_the_key_order():
    data = config()
    reordered = dict(reversed(list(data.items())))
    reordered["models"] = [dict(reversed(list(m.items()))) for m in data["models"]]
    assert ids(data) == ids(config())
    assert sorted(ids(reordered)) == sorted(ids(data))


def test_explicit_defaults_do_not_change_ids():
    data = config()
    data["models"][0]["variants"][0].update({"dtype": "fp32", "quantization": "none"})
    assert ids(data) == ids(config())


def test_changing_a_field_changes_only_the_affected_ids():
    before = ids(config())
    data = config()
    data["models"][0]["variants"][1]["batch_size"] = 4
    after = ids(data)
    changed = [a != b for a, b in zip(before, after, strict=True)]
    assert changed == [False, False, True, True, False]
    assert ids(config(limit=11))[0] != before[0]  # sentiment uses the sweep limit
    assert ids(config(limit=11))[1] == before[1]  # text-to-sql has its own limit
    assert ids(config(repeats=3)) != before
    assert ids(config(name="renamed")) == before  # the sweep's name is a label only


def test_carbon_context_is_part_of_the_id():
    jobs = expand(parse_config(config(), "t.yaml"), CARBON)
    other = expand(parse_config(config(), "t.yaml"), {**CARBON, "intensity_g_per_kwh": 400.0})
    assert {j.job_id for j in jobs}.isdisjoint(j.job_id for j in other)


def test_fine_tuned_variant_gets_its_listed_base_first():
    jobs = expand(parse_config(config(), "t.yaml"), CARBON)
    labels = [j.label for j in jobs]
    assert labels == [
        "tiny/fp32@sentiment",
        "tiny/fp32@text-to-sql",
        "tiny/int8@sentiment",
        "tiny/int8@text-to-sql",
        "tiny/lora@text-to-sql",
    ]
    lora = jobs[-1]
    assert lora.base_job_id == jobs[1].job_id
    assert not any(j.added_as_base for j in jobs)


def test_missing_base_is_added_and_said():
    data = config()
    data["models"][0]["variants"] = [
        {"name": "int8", "quantization": "int8-dynamic"},
        {"name": "lora8", "quantization": "int8-dynamic", "finetune": {"rank": 4}},
        {"name": "lora32", "finetune": {"rank": 4}, "tasks": ["text-to-sql"]},
    ]
    jobs = expand(parse_config(data, "t.yaml"), CARBON)
    by_label = {j.label: j for j in jobs}
    # int8 base exists for both tasks; the fp32 base of lora32 is added for text-to-sql only
    assert by_label["tiny/lora8@sentiment"].base_job_id == by_label["tiny/int8@sentiment"].job_id
    added = by_label["tiny/base@text-to-sql"]
    assert added.added_as_base and added.variant.finetune is None
    assert by_label["tiny/lora32@text-to-sql"].base_job_id == added.job_id
    order = [j.label for j in jobs]
    assert order.index("tiny/base@text-to-sql") < order.index("tiny/lora32@text-to-sql")
    assert "tiny/base@sentiment" not in by_label


def test_global_variants_apply_to_models_without_their_own():
    data = config(variants=[{"name": "q", "quantization": "int8-dynamic"}])
    data["models"].append({"name": "other", "source": "/models/other"})
    labels = [j.label for j in expand(parse_config(data, "t.yaml"), CARBON)]
    assert "other/q@sentiment" in labels and "other/q@text-to-sql" in labels


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["models"][0]["variants"][1].update(quantization="q3"),
            "configs/x.yaml: models[0].variants[1].quantization: unknown quantization 'q3'; "
            "allowed: none, int8-dynamic",
        ),
        (
            lambda d: d["models"][0]["variants"][2].update(tasks=["nli"]),
            "configs/x.yaml: models[0].variants[2].tasks: 'nli' is not a task of this sweep; "
            "allowed: sentiment, text-to-sql",
        ),
        (lambda d: d.update(meter="joulemeter"), "configs/x.yaml: meter: unknown meter"),
        (lambda d: d.update(repeats=0), "configs/x.yaml: repeats: "),
        (
            lambda d: d["models"][0].update(colour="green"),
            "configs/x.yaml: models[0].colour: unknown field; allowed: name, source, kind",
        ),
        (lambda d: d.pop("tasks"), "configs/x.yaml: tasks: required field missing"),
    ],
)
def test_config_errors_name_file_field_and_allowed(change, message):
    data = config()
    change(data)
    with pytest.raises(GreenbenchError) as info:
        parse_config(data, "configs/x.yaml")
    assert str(info.value).startswith(message)


def test_exclusive_host_defaults_to_true_for_rapl_and_keeps_ids():
    def exclusive(data):
        return {j.exclusive_host for j in expand(parse_config(data, "t.yaml"), CARBON)}

    assert exclusive(config(meter="rapl")) == {True}  # clean counters for a RAPL study
    assert exclusive(config(meter="auto")) == {False}  # co-located jobs share by CPU time
    assert exclusive(config(meter="auto", exclusive_host=True)) == {True}
    assert exclusive(config(meter="rapl", exclusive_host=False)) == {False}
    # how jobs share a host changes no result's identity: finished jobs are not redone
    assert ids(config(meter="rapl", exclusive_host=False)) == ids(config(meter="rapl"))
