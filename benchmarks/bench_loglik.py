"""Log-likelihood scoring throughput (choices/s) of the hf backend: one pair at a time, batched
with one row per pair, and batched with shared rows (one row for one-token choices of a context);
with ``--llamacpp``, of the zoo GGUF on llama.cpp: one row at a time, batched, and batched with
shared prefixes evaluated once (``greenbench.models.backends.llamacpp_loglik``).

    .venv/bin/python benchmarks/bench_loglik.py                  # small Llama built from a config
    .venv/bin/python benchmarks/bench_loglik.py --zoo            # SmolLM2-135M-Instruct (zoo)
    .venv/bin/python benchmarks/bench_loglik.py --llamacpp       # SmolLM2 GGUF Q4_1 (zoo)
    .venv/bin/python benchmarks/bench_loglik.py --task nli --limit 24 --batch-size 8

Pairs are (prompt, " " + choice) of the task's offline samples (default ``sentiment``), plain
prompts (``chat_template: false``, lm-eval's default and the quickstart's sentiment setting).
Every mode must give the same log-likelihoods (asserted, 1e-4 nats); the table gives the best
wall time of ``--repeats`` alternating runs, choices scored per second and the speed-up over one
at a time. lm-eval's HF backend runs the same pairs too when lm-evaluation-harness is installed
(else the row says so). Wall time only: energy is what ``greenbench measure`` / the sweep measure.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batching import build_small_llama
from greenbench.models import ModelSpec, Variant, load_backend
from greenbench.tasks import choices, load_task


def lm_eval_scorer(backend, batch_size: int):
    """A function scoring pairs with lm-eval's HFLM on the backend's model, or None (and why)."""
    try:
        from lm_eval.api.instance import Instance
        from lm_eval.models.huggingface import HFLM
    except ImportError:
        return None, "lm-evaluation-harness is not installed: not measured"
    lm = HFLM(pretrained=backend.model, tokenizer=backend.loaded.tokenizer, batch_size=batch_size)

    def score(pairs):
        requests = [Instance("loglikelihood", {}, pair, i) for i, pair in enumerate(pairs)]
        return [ll for ll, _ in lm.loglikelihood(requests, disable_tqdm=True)]

    return score, None


def hf_modes(args):
    """The model's name, the hf backend's modes (and lm-eval's when installed), and why lm-eval
    is not measured (or None)."""
    with tempfile.TemporaryDirectory() as tmp:
        if args.zoo:
            spec = ModelSpec(
                name="smollm2-135m-instruct",
                source="zoo:smollm2-135m-instruct",
                chat_template=False,
            )
        else:
            path = build_small_llama(Path(tmp))
            spec = ModelSpec(name="small-llama", source=str(path), chat_template=False)
        single = load_backend(spec, Variant(batch_size=1, device="cpu"))
        batched = load_backend(spec, Variant(batch_size=args.batch_size, device="cpu"))
    modes = {
        "one at a time": lambda pairs: single.loglikelihood(pairs, shared=False),
        f"batch {args.batch_size}, row per pair": lambda pairs: batched.loglikelihood(
            pairs, shared=False
        ),
        f"batch {args.batch_size}, shared rows": lambda pairs: batched.loglikelihood(pairs),
    }
    lm_eval, why_not = lm_eval_scorer(batched, args.batch_size)
    if lm_eval is not None:
        modes[f"lm-eval HFLM, batch {args.batch_size}"] = lm_eval
    return spec.name, modes, why_not


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", action="store_true", help="use zoo:smollm2-135m-instruct")
    parser.add_argument(
        "--llamacpp", action="store_true", help="the zoo GGUF on llama.cpp (no lm-eval row)"
    )
    parser.add_argument("--task", default="sentiment")
    parser.add_argument("--limit", type=int, default=24, help="samples")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per mode (min kept)")
    args = parser.parse_args(argv)

    task = load_task(args.task)
    samples = task.samples(limit=args.limit)
    raw_pairs = choices.requests(samples, task.spec.target_delimiter)
    if args.llamacpp:
        spec = ModelSpec(
            name="smollm2-135m-instruct (GGUF)",
            source="zoo:smollm2-135m-instruct",
            kind="llamacpp",
            chat_template=False,
        )
        single = load_backend(spec, Variant(batch_size=1, device="cpu"))
        batched = load_backend(spec, Variant(batch_size=args.batch_size, device="cpu"))
        name = spec.name
        modes = {
            "one at a time": lambda pairs: single.loglikelihood(pairs, share_prefix=False),
            f"batch {args.batch_size}": lambda pairs: batched.loglikelihood(
                pairs, share_prefix=False
            ),
            f"batch {args.batch_size}, shared prefix": lambda pairs: batched.loglikelihood(pairs),
        }
        why_not = None
        loaded = [single, batched]
    else:
        name, modes, why_not = hf_modes(args)
        loaded = []
    for run in modes.values():
        run(raw_pairs[:2])  # warm-up (allocator, kernels)
    # Modes alternate and the fastest repeat counts: other load on the machine only slows a run
    # down, so the minimum is the least disturbed figure.
    outputs: dict[str, list[float]] = {}
    last: dict[str, list] = {}
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        for mode, run in modes.items():
            start = time.perf_counter()
            out = run(raw_pairs)
            seconds = time.perf_counter() - start
            last[mode] = out
            outputs[mode] = [o if isinstance(o, float) else o.logprob for o in out]
            best[mode] = min(best.get(mode, seconds), seconds)
    reference = outputs["one at a time"]
    worst = 0.0
    for mode, values in outputs.items():
        diff = max(abs(a - b) for a, b in zip(values, reference, strict=True))
        assert diff < 1e-4, f"{mode}: log-likelihoods differ by {diff:.2e} nats"
        worst = max(worst, diff)
    print(
        f"model {name}, task {args.task}: {len(samples)} samples, {len(raw_pairs)} choices; CPU, "
        f"{os.cpu_count()} cores, best of {args.repeats}; log-likelihoods equal to one at a time "
        f"within {worst:.1e} nats (asserted < 1e-4)"
    )
    if not args.llamacpp:
        computed = sum(r.input_tokens for r in last[f"batch {args.batch_size}, shared rows"])
        per_pair = sum(r.input_tokens for r in last["one at a time"])
        print(f"tokens computed: {per_pair} with a row per pair, {computed} with shared rows")
    print(f"{'mode':<34}{'wall s (min)':>14}{'choices/s':>12}{'speed-up':>10}")
    base = best["one at a time"]
    for mode, seconds in best.items():
        print(f"{mode:<34}{seconds:>14.3f}{len(raw_pairs) / seconds:>12.1f}{base / seconds:>10.2f}")
    if why_not:
        print(f"{'lm-eval HFLM':<34}  {why_not}")
    for backend in loaded:
        backend.close()  # llama.cpp's native model, freed now rather than at interpreter exit
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
