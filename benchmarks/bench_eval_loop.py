"""greenbench's whole ``run`` vs a raw transformers script (vs lm-evaluation-harness, when
installed): same model, same prompts, same batching, same stop rule, one machine, one run.

    .venv/bin/python benchmarks/bench_eval_loop.py                      # 32 text-to-sql prompts
    .venv/bin/python benchmarks/bench_eval_loop.py --limit 16 --batch-size 4 --repeats 3

Each contender is a fresh process timed from start to exit (interpreter start, imports, load,
generation, scoring or writing — all it needs to produce the answers):

- ``raw``: ``transformers.generate`` on SmolLM2-135M fp32 (the zoo's hf weights), prompts sorted
  longest first, batches of ``--batch-size``, left padding, greedy, ``stop_strings`` and the same
  cut at the first stop string, no chat template;
- ``greenbench``: ``greenbench run`` of a one-job sweep of the same model and settings (idle
  calibration and cool-down off, as the raw script has none), which also measures energy,
  scores, stores and writes the report;
- ``lm-eval``: ``lm_eval`` (HF backend, ``generate_until``) on the same prompts from a local
  JSONL task, when the package is installed here or ``--lm-eval-python`` names an interpreter
  that has it (a separate venv keeps lm-eval's dependencies out of greenbench's).

The table gives wall time (best of ``--repeats``, alternating contenders so drift hits all),
generated tokens per second over that wall time, the ratio to raw and output parity with raw.
Wall time only: energy is what greenbench measures, not what this compares.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

MODEL = "smollm2-135m-instruct"
TASK = "text-to-sql"

#: The raw transformers script: everything a user would write to get the same answers.
RAW = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    t1 = time.perf_counter()
    model_dir, prompts_file, out_file, batch, max_new, stops = sys.argv[1:7]
    batch, max_new, stops = int(batch), int(max_new), json.loads(stops)
    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    t2 = time.perf_counter()
    prompts = json.load(open(prompts_file))
    lengths = [len(ids) for ids in tok(prompts)["input_ids"]]
    order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
    texts, counts = [None] * len(prompts), [0] * len(prompts)
    for start in range(0, len(order), batch):
        rows = order[start:start + batch]
        enc = tok([prompts[i] for i in rows], return_tensors="pt", padding=True)
        with torch.inference_mode():
            out = model.generate(**enc, do_sample=False, max_new_tokens=max_new,
                                 stop_strings=stops or None, tokenizer=tok,
                                 pad_token_id=tok.pad_token_id)
        for i, row in zip(rows, out[:, enc["input_ids"].shape[1]:].tolist()):
            ids = []
            for t in row:
                ids.append(t)
                if t == tok.eos_token_id:
                    break
            while ids and ids[-1] == tok.pad_token_id and tok.pad_token_id != tok.eos_token_id:
                ids.pop()
            text = tok.decode(ids, skip_special_tokens=True)
            cuts = [text.find(s) for s in stops if s and s in text]
            texts[i] = text[:min(cuts)] if cuts else text
            counts[i] = len(ids)
    t3 = time.perf_counter()
    json.dump({"texts": texts, "generated_tokens": sum(counts),
               "imports_s": t1 - t0, "load_s": t2 - t1, "generate_s": t3 - t2},
              open(out_file, "w"))
    """
)


def prompts_and_stops(limit: int) -> tuple[list[str], list[str]]:
    from greenbench.tasks import load_task

    task = load_task(TASK)
    return [s.prompt for s in task.samples(limit)], list(task.spec.generation.stop or ())


def config_yaml(limit: int, batch_size: int, max_new_tokens: int) -> str:
    return textwrap.dedent(
        f"""
        name: bench-eval-loop
        location: {{country: FRA}}
        idle_seconds: 0
        cooldown_s: 0
        tasks:
          - {{name: {TASK}, limit: {limit}, max_new_tokens: {max_new_tokens}}}
        models:
          - name: {MODEL}
            source: zoo:{MODEL}
            kind: hf
            chat_template: false
            variants:
              - {{name: fp32, dtype: fp32, batch_size: {batch_size}, device: cpu}}
        """
    )


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} … exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def run_raw(tmp: Path, model_dir: str, prompts: list[str], stops: list[str], args) -> dict:
    script, prompts_file, out = tmp / "raw.py", tmp / "prompts.json", tmp / "raw.json"
    script.write_text(RAW)
    prompts_file.write_text(json.dumps(prompts))
    cmd = [sys.executable, str(script), model_dir, str(prompts_file), str(out)]
    cmd += [str(args.batch_size), str(args.max_new_tokens), json.dumps(stops)]
    wall = timed(cmd, dict(os.environ))
    result = json.loads(out.read_text())
    return {"wall_s": wall, **result}


def run_greenbench(tmp: Path, args, attempt: int) -> dict:
    from greenbench.store import ResultsStore

    config, out = tmp / "sweep.yaml", tmp / f"gb-{attempt}"
    config.write_text(config_yaml(args.limit, args.batch_size, args.max_new_tokens))
    greenbench = str(Path(sys.executable).with_name("greenbench"))
    wall = timed([greenbench, "run", str(config), "--out", str(out)], dict(os.environ))
    with ResultsStore(out / "results.db") as store:
        (record,) = store.jobs()
        samples = store.samples(record["job_id"])
    texts = [s["prediction"] for s in samples]
    phases = record["phases"]
    return {
        "wall_s": wall,
        "texts": texts,
        "generated_tokens": record["tokens"]["generated"],
        "load_s": phases["load"]["duration_s"],
        "generate_s": phases["inference"]["duration_s"],
    }


def run_lm_eval(tmp: Path, model_dir: str, prompts: list[str], stops: list[str], args) -> dict:
    """lm-eval's CLI on a local JSONL task of the same prompts (``generate_until``)."""
    task_dir = tmp / "lm_eval_task"
    task_dir.mkdir(exist_ok=True)
    data = task_dir / "prompts.jsonl"
    data.write_text("".join(json.dumps({"prompt": p, "target": ""}) + "\n" for p in prompts))
    (task_dir / "gb_bench.yaml").write_text(
        textwrap.dedent(
            f"""
            task: gb_bench
            dataset_path: json
            dataset_kwargs: {{data_files: {{test: {data}}}}}
            test_split: test
            output_type: generate_until
            doc_to_text: "{{{{prompt}}}}"
            doc_to_target: "{{{{target}}}}"
            target_delimiter: ""
            generation_kwargs: {{until: {json.dumps(stops)}, do_sample: false,
                                 max_gen_toks: {args.max_new_tokens}}}
            metric_list: [{{metric: exact_match}}]
            """
        )
    )
    out = tmp / "lm_eval_out"
    shutil.rmtree(out, ignore_errors=True)  # one run's samples file, not an earlier repeat's
    cmd = [args.lm_eval_python, "-m", "lm_eval", "--model", "hf"]
    cmd += ["--model_args", f"pretrained={model_dir},dtype=float32", "--device", "cpu"]
    cmd += ["--tasks", "gb_bench", "--include_path", str(task_dir)]
    cmd += ["--batch_size", str(args.batch_size), "--log_samples", "--output_path", str(out)]
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    wall = timed(cmd, env)
    (log,) = out.rglob("samples_gb_bench_*.jsonl")
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    by_prompt = {r["doc"]["prompt"]: r["resps"][0][0] for r in rows}
    return {"wall_s": wall, "texts": [by_prompt.get(p) for p in prompts], "generated_tokens": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--lm-eval-python", help="a Python with lm_eval installed (default: this)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from greenbench.models import zoo

    model_dir = str(zoo.resolve(MODEL, "hf").path)  # converted once, outside every timing
    prompts, stops = prompts_and_stops(args.limit)
    args.lm_eval_python = args.lm_eval_python or sys.executable
    has_lm_eval = (
        subprocess.run(
            [args.lm_eval_python, "-c", "import lm_eval"], capture_output=True, check=False
        ).returncode
        == 0
    )
    contenders = ["raw", "greenbench", *(["lm-eval"] if has_lm_eval else [])]
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="gb-bench-") as tmp:
        for attempt in range(args.repeats):
            for name in contenders:
                if name == "raw":
                    result = run_raw(Path(tmp), model_dir, prompts, stops, args)
                elif name == "greenbench":
                    result = run_greenbench(Path(tmp), args, attempt)
                else:
                    result = run_lm_eval(Path(tmp), model_dir, prompts, stops, args)
                if name not in best or result["wall_s"] < best[name]["wall_s"]:
                    best[name] = result
    raw = best["raw"]
    print(
        f"{len(prompts)} {TASK} prompts, {MODEL} fp32 on CPU, batch {args.batch_size}, "
        f"<= {args.max_new_tokens} new tokens, best of {args.repeats}"
    )
    print(f"{'':12} {'wall s':>8} {'load s':>7} {'gen s':>7} {'tok/s':>7} {'x raw':>6}  parity")
    for name in contenders:
        r = best[name]
        same = sum(a == b for a, b in zip(r["texts"], raw["texts"], strict=True))
        tokens = r["generated_tokens"] or raw["generated_tokens"]
        cells = [f"{r['wall_s']:8.1f}"]
        cells += [
            f"{r[k]:7.1f}" if r.get(k) is not None else f"{'-':>7}"
            for k in ("load_s", "generate_s")
        ]
        cells += [f"{tokens / r['wall_s']:7.1f}", f"{r['wall_s'] / raw['wall_s']:6.2f}"]
        print(f"{name:12} {' '.join(cells)}  {same}/{len(prompts)} identical")
    print(f"greenbench overhead over raw: {best['greenbench']['wall_s'] - raw['wall_s']:+.1f} s")


if __name__ == "__main__":
    main()
