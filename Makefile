# greenbench: the two commands of the README.
#   make demo  - create .venv, install what the main job needs, run the offline quickstart sweep
#   make test  - create .venv, install the test extras, run ruff and pytest
#
# On a CPU-only machine torch is installed first as the local CPU build (TORCH_SPEC) and pinned with
# constraints/cpu.txt, so no dependency can pull a multi-GB CUDA build. GPU users: see README.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0
CONSTRAINTS ?= constraints/cpu.txt
# llama-cpp-python compiles llama.cpp: portable x86-64 flags (a -march=native build was seen to
# crash on machines of this kind). pip caches the built wheel, so only the first install compiles.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF
DEMO_EXTRAS := tasks,models,llamacpp,export
TEST_EXTRAS := all,test

.PHONY: demo test lint pytest bench browser-deps clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.stamp-demo: $(VENV)/bin/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install -q "$(TORCH_SPEC)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install -q -c $(CONSTRAINTS) -e ".[$(DEMO_EXTRAS)]"
	touch $@

$(VENV)/.stamp-test: $(VENV)/bin/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install -q "$(TORCH_SPEC)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install -q -c $(CONSTRAINTS) -e ".[$(TEST_EXTRAS)]"
	touch $@

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

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
