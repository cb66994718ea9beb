"""Every native engine greenbench opens in one process closes so the interpreter exits 0.

``make test`` once passed every test and then died with a segmentation fault at interpreter
exit on a fresh machine. These run, in a fresh process each, what a sweep worker or a test
session does: import torch, llama.cpp and ONNX Runtime together, run each engine, close the
backends, exit — and require exit status 0 with the last line printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("llama_cpp")

pytestmark = pytest.mark.slow

ENGINES = textwrap.dedent(
    """
    import threading
    import numpy as np
    import torch

    from greenbench.models import ModelSpec, Variant, load_backend

    torch.ones(128, 128) @ torch.ones(128, 128)  # torch's intra-op pool is up
    gguf = load_backend(
        ModelSpec(name="s", source="zoo:smollm2-135m-instruct", kind="llamacpp"), Variant()
    )
    gguf.generate(["Name a colour.", "Say hi."], max_new_tokens=4)
    onnx = load_backend(
        ModelSpec(name="e", source="zoo:efficientnet-lite0", kind="onnx",
                  architecture="image-classifier"),
        Variant(),
    )
    onnx.classify([np.zeros((224, 224, 3), dtype=np.uint8)], top_k=1)
    gguf.close()
    onnx.close()
    assert threading.active_count() == 1, threading.enumerate()  # no Python thread left behind
    print("closed", flush=True)
    """
)


@pytest.mark.parametrize("first", ["torch", "llama_cpp"])
def test_engines_in_one_process_exit_cleanly(first, zoo_cache):
    code = f"import {first}\n" + ENGINES  # which engine's native libraries load first
    env = dict(os.environ)  # GREENBENCH_CACHE_DIR: the session's zoo cache
    for attempt in range(3):  # a crash at exit is a race: give it a few chances to show
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
        )
        assert proc.returncode == 0, (attempt, proc.returncode, proc.stderr[-2000:])
        assert proc.stdout.strip().splitlines()[-1] == "closed"
