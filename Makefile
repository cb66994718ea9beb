# greenbench: the two commands of the README.
#   make demo  - create .venv, install what the main job needs, run the offline quickstart sweep
#   make test  - create .venv, install the test extras, run ruff and pytest
#
# Installs go through uv (from PyPI, installed into the venv by pip; many times faster than pip at
# resolving, downloading and unpacking). Where uv cannot be had, pip does the same steps.
# On a CPU-only machine torch is installed first as the local CPU build (TORCH_SPEC, by pip, which
# finds it on this machine's disk) and pinned with constraints/cpu.txt, so no dependency can pull a
# multi-GB CUDA build. GPU users: see README.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
UV := $(VENV)/bin/uv
TORCH_SPEC ?= torch==2.13.0
CONSTRAINTS ?= constraints/cpu.txt
# llama-cpp-python compiles llama.cpp: portable x86-64 flags (a -march=native build was seen to
# crash on machines of this kind), and only the library greenbench loads (no llava/mtmd; llama.cpp's
# tools, examples, tests and server are off when it is built as a subproject). GGML_OPENMP=OFF:
# ggml's own thread pool instead of the system libgomp, which shares torch's soname
# (libgomp.so.1) — whichever loads first serves both, two OpenMP pools spin in one process, and
# their teardown at interpreter exit was the suspect of a crash after a green test run. uv and pip
# cache the built wheel, so only the first install compiles.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF \
	-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
	-DLLAMA_BUILD_SERVER=OFF
DEMO_EXTRAS := tasks,models,llamacpp
TEST_EXTRAS := all,test

# install EXTRAS: torch's CPU build without its dependencies (pip: it lies on disk), then the
# package with EXTRAS and every dependency (uv, else pip), constrained so torch stays that build.
# Bytecode is compiled at install (pip does by default, uv on --compile-bytecode): every sweep job
# is a fresh process importing torch and transformers, and without .pyc files (uv writes none, and
# PYTHONDONTWRITEBYTECODE stops Python caching them) each process recompiles ~3,000 modules —
# 8 s of a job's start-up on this 2-core machine. greenbench's own editable sources too.
define install
	$(PIP) install -q --no-deps "$(TORCH_SPEC)"
	if [ -x $(UV) ]; then \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
			$(UV) pip install -q --compile-bytecode --python $(PY) -c $(CONSTRAINTS) -e ".[$(1)]"; \
	else \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
			$(PIP) install -q -c $(CONSTRAINTS) -e ".[$(1)]"; \
	fi
	$(PY) -m compileall -q src
endef

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q uv || echo "note: uv could not be installed; installing with pip (slower)"

$(VENV)/.stamp-demo: $(VENV)/bin/python pyproject.toml $(CONSTRAINTS)
	$(call install,$(DEMO_EXTRAS))
	touch $@

$(VENV)/.stamp-test: $(VENV)/bin/python pyproject.toml $(CONSTRAINTS)
	$(call install,$(TEST_EXTRAS))
	touch $@

.PHONY: demo test lint pytest bench browser-deps clean

# The browser tests drive Debian's Chromium; install it when we are root and it is missing.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
			|| echo "warning: could not install chromium; browser tests will be skipped"; \
		else echo "note: run as root or install chromium + chromium-driver for the browser tests"; fi; \
	fi

demo: $(VENV)/.stamp-demo
	$(VENV)/bin/greenbench run --out runs/quickstart

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

pytest: $(VENV)/.stamp-test browser-deps
	$(VENV)/bin/pytest -q

test: lint pytest

# Benchmarks print side-by-side tables (ratios); their figures are quoted in the README and docs/.
bench: $(VENV)/.stamp-test
	$(PY) benchmarks/bench_meter_overhead.py
	$(PY) benchmarks/bench_batching.py
	$(PY) benchmarks/bench_llamacpp_batching.py
	$(PY) benchmarks/bench_eval_loop.py
	$(PY) benchmarks/bench_code_sandbox.py
	$(PY) benchmarks/bench_loglik.py

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
