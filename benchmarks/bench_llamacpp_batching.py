"""Batched vs one-at-a-time greedy generation through the llamacpp backend, same GGUF, same prompts.

    PYTHONPATH=src python benchmarks/bench_llamacpp_batching.py                 # story-generation
    PYTHONPATH=src python benchmarks/bench_llamacpp_batching.py --task text-to-sql --limit 16

Model: the zoo's SmolLM2-135M-Instruct GGUF (Q4_1) with its chat template, on CPU. Prompts are
the task's offline samples; ``max_new_tokens`` and stop strings are the task's unless given.
One backend decodes one sequence at a time (``batch_size: 1``), the other ``--batch-size``
sequences together; both must produce the same texts and token counts (asserted). The table
gives the best wall time of ``--repeats`` alternating runs, generated tokens per second, and the
ratio. Wall time only: energy is what ``greenbench measure`` / the sweep measure.
"""

from __future__ import annotations

import argparse
import os
import time

from greenbench.models import ModelSpec, Variant, load_backend
from greenbench.models.base import Backend, Generation
from greenbench.tasks import load_task


def timed(
    backend: Backend, prompts: list[str], max_new_tokens: int, stop: list[str]
) -> tuple[list[Generation], float]:
    """Generations and wall seconds of one ``generate`` call."""
    start = time.perf_counter()
    out = backend.generate(prompts, max_new_tokens=max_new_tokens, stop=stop)
    return out, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="story-generation")
    parser.add_argument("--limit", type=int, default=16, help="prompts")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, help="default: the task's")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per mode (min kept)")
    args = parser.parse_args(argv)

    task = load_task(args.task)
    generation = task.spec.generation
    max_new_tokens = args.max_new_tokens or generation.max_new_tokens
    stop = list(generation.stop)
    prompts = [s.prompt for s in task.samples(limit=args.limit)]
    spec = ModelSpec(
        name="smollm2-135m-instruct", source="zoo:smollm2-135m-instruct", kind="llamacpp"
    )
    modes = {
        "one at a time": load_backend(spec, Variant(batch_size=1, device="cpu")),
        f"batch {args.batch_size}": load_backend(
            spec, Variant(batch_size=args.batch_size, device="cpu")
        ),
    }
    try:
        for backend in modes.values():
            backend.generate(prompts[:1], max_new_tokens=2)  # warm-up (allocator, page cache)
        # Modes alternate and the fastest repeat counts: other load on the machine only slows
        # a run down, so the minimum is the least disturbed figure.
        outputs: dict[str, list[Generation]] = {}
        best: dict[str, float] = {}
        for _ in range(args.repeats):
            for mode, backend in modes.items():
                outputs[mode], seconds = timed(backend, prompts, max_new_tokens, stop)
                best[mode] = min(best.get(mode, seconds), seconds)
    finally:
        for backend in modes.values():
            backend.close()
    single, batched = outputs.values()
    differing = [i for i, (a, b) in enumerate(zip(single, batched, strict=True)) if a != b]
    assert not differing, f"batched output differs from one-at-a-time for prompts {differing}"
    tokens = sum(g.generated_tokens for g in batched)
    prompt_tokens = sum(g.prompt_tokens for g in batched)
    single_s = best["one at a time"]
    print(
        f"SmolLM2-135M-Instruct Q4_1 (llama.cpp), task {args.task}: {len(prompts)} prompts, "
        f"{prompt_tokens} prompt tokens, {tokens} generated tokens (max {max_new_tokens} each, "
        f"stop {stop}), CPU, {os.cpu_count()} cores, best of {args.repeats}; outputs identical"
    )
    print(f"{'mode':<16}{'wall s (min)':>14}{'gen tok/s':>12}{'ratio':>8}")
    for mode, seconds in best.items():
        print(f"{mode:<16}{seconds:>14.2f}{tokens / seconds:>12.1f}{single_s / seconds:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
