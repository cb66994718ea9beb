"""The zoo's transformers directory is a plain checkpoint other tools load as is: no GGUF
``quantization_config`` in its config.json, and it loads the way lm-evaluation-harness's
``hf`` model does (``AutoConfig`` first, then ``AutoModelForCausalLM.from_pretrained(dir,
dtype=…, quantization_config=<the config's, if any>)``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greenbench.cli.main import main
from greenbench.models import zoo


@pytest.mark.slow
def test_the_hf_directory_loads_as_lm_eval_loads_it(capsys):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    assert main(["zoo", "path", "smollm2-135m-instruct", "--format", "hf"]) == 0
    directory = Path(capsys.readouterr().out.strip())
    assert directory == Path(zoo.resolve("smollm2-135m-instruct", "hf").path)
    assert "quantization_config" not in json.loads((directory / "config.json").read_text())
    config = AutoConfig.from_pretrained(directory, trust_remote_code=False, gguf_file=None)
    model = AutoModelForCausalLM.from_pretrained(
        directory,
        dtype=torch.bfloat16,
        trust_remote_code=False,
        gguf_file=None,
        quantization_config=getattr(config, "quantization_config", None),
    )
    assert model.dtype == torch.bfloat16
    assert getattr(model.config, "quantization_config", None) is None
    assert sum(p.numel() for p in model.parameters()) == 134_515_008


def test_zoo_path_of_an_unknown_model_is_a_one_line_error(capsys):
    assert main(["zoo", "path", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown zoo model 'nope'" in err and len(err.strip().splitlines()) == 1
