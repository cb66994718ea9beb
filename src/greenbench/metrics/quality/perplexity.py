"""Perplexity of texts under a reference causal language model (transformers).

Lower is better. Per-sample perplexity is ``exp(mean token negative log-likelihood)``; the
aggregate is token-weighted, ``exp(sum NLL / sum tokens)`` over all samples, and its CI
recomputes that ratio on resampled samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from greenbench.errors import GreenbenchError
from greenbench.metrics.quality.ci import N_BOOT, MetricResult, bootstrap_statistic, unavailable


def token_nll(
    texts: Sequence[str], model_path: str | Path, *, batch_size: int = 8, max_length: int = 512
) -> list[tuple[float, int]]:
    """(summed NLL in nats, predicted tokens) for each text under the causal LM at
    ``model_path`` (a local directory; nothing is downloaded). Texts are truncated to
    ``max_length`` tokens; a text of fewer than 2 tokens gives (0.0, 0)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(model_path)
    if not path.is_dir():
        raise GreenbenchError(f"reference_model_path {path}: not a local model directory")
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).eval()
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    encoded = [tokenizer(t, truncation=True, max_length=max_length)["input_ids"] for t in texts]
    out: list[tuple[float, int]] = [(0.0, 0)] * len(texts)
    # Sort by length so each padded batch wastes little compute.
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = [i for i in order[start : start + batch_size] if len(encoded[i]) >= 2]
            if not batch:
                continue
            width = max(len(encoded[i]) for i in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, : len(encoded[i])] = torch.tensor(encoded[i])
                mask[row, : len(encoded[i])] = 1
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            logp = torch.log_softmax(logits, dim=-1)
            target = ids[:, 1:]
            nll = -logp.gather(-1, target.unsqueeze(-1)).squeeze(-1) * mask[:, 1:]
            for row, i in enumerate(batch):
                out[i] = (float(nll[row].sum()), int(mask[row, 1:].sum()))
    return out


def perplexity(
    texts: Sequence[str],
    model_path: str | Path | None,
    *,
    batch_size: int = 8,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Token-weighted perplexity of ``texts`` under the model at ``model_path``; unavailable
    (with the reason) when no model path is given. Samples with < 2 tokens score None."""
    if model_path is None:
        return unavailable(
            "perplexity needs a reference causal LM: pass resources "
            "{'reference_model_path': DIR} (a local transformers model directory)",
            len(texts),
            higher_is_better=False,
        )
    counts = token_nll(texts, model_path, batch_size=batch_size)
    nll = np.array([c[0] for c in counts])
    tokens = np.array([c[1] for c in counts], dtype=float)
    per_sample = [float(np.exp(s / t)) if t else None for s, t in counts]
    valid = np.flatnonzero(tokens > 0)

    def corpus(indices: np.ndarray) -> float:
        chosen = valid[indices]
        return float(np.exp(nll[chosen].sum() / tokens[chosen].sum()))

    return bootstrap_statistic(
        len(valid), corpus, per_sample, higher_is_better=False, seed=seed, n_boot=n_boot
    )
