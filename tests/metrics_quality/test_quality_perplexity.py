"""Perplexity under a tiny causal LM built here (config + locally trained tokenizer)."""

from __future__ import annotations

import math

import pytest

from greenbench.errors import GreenbenchError
from greenbench.metrics.quality.perplexity import perplexity

TEXTS = [
    "the cat sat on the mat and looked at the red ball",
    "a dog ran in the park with a small blue ball",
    "the bird sang on the tall green tree in the morning",
]


def test_without_a_model_perplexity_is_unavailable_with_reason():
    result = perplexity(TEXTS, None)
    assert result.metric.value is None
    assert "reference_model_path" in result.metric.unavailable
    assert result.metric.higher_is_better is False


def test_a_missing_model_directory_is_a_user_error(tmp_path):
    with pytest.raises(GreenbenchError, match="not a local model directory"):
        perplexity(TEXTS, tmp_path / "nope")


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(TEXTS * 3, trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]"]))
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]"
    )
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=fast.vocab_size, n_positions=64, n_embd=32, n_layer=2, n_head=2
    )
    model = transformers.GPT2LMHeadModel(config).eval()
    path = tmp_path_factory.mktemp("tiny-lm")
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path, model, fast


@pytest.mark.slow
def test_perplexity_matches_the_models_own_loss(tiny_lm):
    import torch

    path, model, tok = tiny_lm
    result = perplexity(TEXTS, path, batch_size=2)
    nll, count = 0.0, 0
    for i, text in enumerate(TEXTS):
        ids = torch.tensor([tok(text)["input_ids"]])
        with torch.no_grad():
            loss = model(input_ids=ids, labels=ids).loss.item()
        n = ids.shape[1] - 1
        assert result.per_sample[i] == pytest.approx(math.exp(loss), rel=1e-4)
        nll, count = nll + loss * n, count + n
    m = result.metric
    assert m.value == pytest.approx(math.exp(nll / count), rel=1e-4)
    assert m.ci_low <= m.value <= m.ci_high
    assert m.higher_is_better is False
