"""Fine-tuning runs a batch's shared prompt prefix once: same loss and gradients as the padded
batch, on a tiny Llama with a LoRA adapter."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from greenbench.models.finetune import (
    MIN_SHARED_PREFIX,
    batch_loss,
    collate,
    encode_pairs,
    shared_prefix,
    wrap_lora,
)
from greenbench.models.spec import FineTune

SCHEMA = "the schema: " + " ".join(f"table{i} (id, name, price)" for i in range(12))
PAIRS = [
    (f"{SCHEMA}\nquestion: {q}\nsql:", a)
    for q, a in [
        ("how many rows", "select count(*) from table1"),
        ("the cheapest name", "select name from table2 order by price limit 1"),
        ("all ids", "select id from table3"),
    ]
]


def _lora_model(causal_dir):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(causal_dir)
    config = FineTune(method="lora", rank=4, alpha=8, dropout=0.0)
    return wrap_lora(model, config, ["q_proj", "v_proj"])


def _loss_and_grads(model, rows, pad_id, shared: bool):
    model.zero_grad(set_to_none=True)
    loss = (
        batch_loss(model, rows, pad_id, "cpu")
        if shared
        else model(**collate(rows, pad_id, "cpu")).loss
    )
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    return float(loss.detach()), grads


def test_the_shared_prefix_gives_the_padded_batch_loss_and_gradients(causal_dir):
    tokenizer = AutoTokenizer.from_pretrained(causal_dir)
    rows = encode_pairs(tokenizer, PAIRS, encoder_decoder=False, add_special_tokens=True)
    assert shared_prefix(rows) >= MIN_SHARED_PREFIX  # the path under test is taken
    model = _lora_model(causal_dir)
    model.train()
    plain_loss, plain = _loss_and_grads(model, rows, tokenizer.pad_token_id, shared=False)
    shared_loss, shared = _loss_and_grads(model, rows, tokenizer.pad_token_id, shared=True)
    assert abs(shared_loss - plain_loss) < 1e-5 * max(1.0, abs(plain_loss))
    assert plain.keys() == shared.keys() and plain
    for name, grad in plain.items():
        assert torch.allclose(shared[name], grad, rtol=1e-4, atol=1e-6), name


def test_the_prefix_stops_before_any_labelled_token():
    rows = [
        {"input_ids": [1, 2, 3, 4, 5, 6], "labels": [-100, -100, -100, 4, 5, 6]},
        {"input_ids": [1, 2, 3, 4, 9, 9], "labels": [-100, -100, -100, -100, 9, 9]},
    ]
    # tokens 1..4 agree, but row 0 labels token 3 (index 3): the prefix ends before index 2's
    # successor so no labelled token is predicted from inside the prefix
    assert shared_prefix(rows) == 2
    assert shared_prefix([rows[0], {"input_ids": [7, 2, 3], "labels": [-100] * 3}]) == 0
