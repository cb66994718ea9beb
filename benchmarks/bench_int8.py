"""The CPU int8 variants of SmolLM2-135M-Instruct against fp32, side by side in one run.

    .venv/bin/python benchmarks/bench_int8.py     # the quickstart's sentiment, 24 samples
    .venv/bin/python benchmarks/bench_int8.py --limit 8 --repeats 1

For ``fp32``, ``int8-dynamic`` and ``int8-weight-only`` through the hf backend (the zoo's
weights, dequantized from Q4_1), it prints:

- load time (``load_backend``: weights read and, for int8, quantized), s;
- the best wall time of ``--repeats`` passes answering the task's samples as the sweep does
  (generate, the task's max_new_tokens and stop strings, batch 8), s, and the ratio to fp32;
- agreement with fp32: the fraction of samples whose label (``parse_label``, as ``accuracy``
  reads it) is the one fp32 gave, and whose whole text is fp32's;
- per-layer error: each int8 linear layer fed the inputs its fp32 twin saw (one batch of 8
  prompts, tokenized without the chat template), ``||y_int8 - y_fp32|| / ||y_fp32||``: the
  median over layers, the median per kind of projection, and the worst layer; with the relative
  error of the last-token logits, and the largest ratio of max |x| to mean |x| among the fp32
  inputs of each kind of projection (activation outliers: what per-tensor activation scales of
  dynamic quantization cannot absorb).

Wall time only, on whatever else the machine is running: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch

from greenbench.models import ModelSpec, Variant, load_backend
from greenbench.tasks import load_task
from greenbench.tasks.parsing import parse_label

QUANTIZATIONS = ("none", "int8-dynamic", "int8-weight-only")
KINDS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _rel(got: torch.Tensor, want: torch.Tensor) -> float:
    return ((got - want).norm() / want.norm()).item()


def layer_errors(
    fp32, quantized: dict, inputs: dict
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """(quantization -> linear layer name -> relative error on the inputs fp32 saw, layer name ->
    max |x| / mean |x| of those inputs)."""
    modules = {q: dict(m.named_modules()) for q, m in quantized.items()}
    errors: dict[str, dict[str, float]] = {q: {} for q in quantized}
    outliers: dict[str, float] = {}
    head = fp32.get_output_embeddings()

    def hook(name):
        def record(_module, args, output):
            x = args[0].abs()
            outliers[name] = (x.max() / x.mean()).item()
            for q in quantized:
                errors[q][name] = _rel(modules[q][name](args[0]), output)

        return record

    handles = [
        m.register_forward_hook(hook(n))
        for n, m in fp32.named_modules()
        if isinstance(m, torch.nn.Linear) and m is not head
    ]
    with torch.no_grad():
        fp32(**inputs)
    for handle in handles:
        handle.remove()
    return errors, outliers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="sentiment")
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    task = load_task(args.task)
    samples = task.samples(args.limit)
    prompts = [s.prompt for s in samples]
    choices = task.spec.choices or []
    spec = ModelSpec(name="smollm2-135m-instruct", source="zoo:smollm2-135m-instruct")
    gen = task.spec.generation
    backends, loads, times, texts = {}, {}, {}, {}
    for quant in QUANTIZATIONS:
        start = time.perf_counter()
        backend = load_backend(spec, Variant(name=quant, quantization=quant, batch_size=8))
        loads[quant] = time.perf_counter() - start
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = backend.generate(prompts, max_new_tokens=gen.max_new_tokens, stop=gen.stop)
            best = min(best, time.perf_counter() - start)
        backends[quant], times[quant] = backend, best
        texts[quant] = [g.text.strip() for g in out]

    ref = texts["none"]
    ref_labels = [parse_label(t, choices) for t in ref]
    print(f"{args.task}, {len(prompts)} samples, best of {args.repeats}")
    print("| variant | load s | answer s | × fp32 | label agreement | text agreement |")
    print("|---|---|---|---|---|---|")
    for quant in QUANTIZATIONS:
        labels = [parse_label(t, choices) for t in texts[quant]]
        same_label = sum(a is not None and a == b for a, b in zip(labels, ref_labels, strict=True))
        same_text = sum(a == b for a, b in zip(texts[quant], ref, strict=True))
        print(
            f"| {quant} | {loads[quant]:.1f} | {times[quant]:.1f} | "
            f"{times[quant] / times['none']:.2f} | {same_label / len(ref):.3f} | "
            f"{same_text / len(ref):.3f} |"
        )
    for quant in QUANTIZATIONS:
        print(f"{quant} answers:", texts[quant][:6])

    fp32 = backends["none"].model
    tokenizer = backends["none"].loaded.tokenizer
    inputs = tokenizer(prompts[:8], return_tensors="pt", padding=True)
    quantized = {q: backends[q].model for q in QUANTIZATIONS[1:]}
    errors, outliers = layer_errors(fp32, quantized, inputs)
    with torch.no_grad():
        want = fp32(**inputs).logits[:, -1]
        logits = {q: _rel(m(**inputs).logits[:, -1], want) for q, m in quantized.items()}
    print("| variant | median layer error | " + " | ".join(KINDS) + " | worst layer | logits |")
    print("|---" * (len(KINDS) + 4) + "|")
    for quant, errs in errors.items():
        kinds = [statistics.median(e for n, e in errs.items() if n.endswith(k)) for k in KINDS]
        worst = max(errs, key=errs.get)
        print(
            f"| {quant} | {statistics.median(errs.values()):.4f} | "
            + " | ".join(f"{k:.4f}" for k in kinds)
            + f" | {worst} {errs[worst]:.3f} | {logits[quant]:.4f} |"
        )
    peaks = [max(r for n, r in outliers.items() if n.endswith(k)) for k in KINDS]
    top = max(outliers, key=outliers.get)
    print(
        "largest max|x| / mean|x| of the inputs, by kind: "
        + ", ".join(f"{k} {p:.0f}" for k, p in zip(KINDS, peaks, strict=True))
        + f"; overall {top} {outliers[top]:.0f}"
    )


if __name__ == "__main__":
    main()
