# The two commands in the README: `make run` and `make test`. Both create .venv
# on a fresh machine: torch==2.13.0 first (the CPU build served for exactly that
# version), then the project with its extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
API_PORT ?= 8000
UI_PORT ?= 8501
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run index serve ui test browser lint bench bench-quick clean train-reader

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

# An index built with other settings or by an older version (`rag ingest` exit 9) is
# rebuilt from corpus/ (uploads live in corpus/uploads/); any other failure stops here.
index: install
	@$(BIN)/rag ingest corpus/; rc=$$?; \
	if [ $$rc -eq 9 ]; then echo "rebuilding the index of corpus/ for these settings"; \
	  $(BIN)/rag ingest --rebuild corpus/; else exit $$rc; fi

# Index the bundled corpus, start the API, then the UI; Ctrl-C stops both. Without
# RAG_API__API_KEY a local write key is made once (random, DATA_DIR/local-api-key, mode
# 0600) and given to both, so uploads just work; with it, the UI asks for the key.
DATA_DIR = $(or $(RAG_DATA_DIR),data)
KEY_FILE := $(DATA_DIR)/local-api-key
run: index
	@if [ -z "$$RAG_API__API_KEY" ]; then \
	  mkdir -p "$(DATA_DIR)"; \
	  if [ ! -s "$(KEY_FILE)" ]; then \
	    (umask 077; $(PY) -c 'import secrets; print(secrets.token_urlsafe(32))' > "$(KEY_FILE)"); fi; \
	  chmod 600 "$(KEY_FILE)"; \
	  RAG_API__API_KEY="$$(cat "$(KEY_FILE)")"; RAG_UI__API_KEY="$$RAG_API__API_KEY"; \
	  export RAG_API__API_KEY RAG_UI__API_KEY; \
	fi; \
	$(BIN)/rag serve --port $(API_PORT) & api=$$!; \
	trap 'kill $$api 2>/dev/null' EXIT INT TERM; \
	$(PY) -m rag.wait http://127.0.0.1:$(API_PORT)/health || exit 1; \
	echo ""; echo "  Assistant: http://127.0.0.1:$(UI_PORT)   API docs: http://127.0.0.1:$(API_PORT)/docs"; echo ""; \
	$(BIN)/rag ui --port $(UI_PORT) --api-url http://127.0.0.1:$(API_PORT)

serve: install
	$(BIN)/rag serve --port $(API_PORT)

ui: install
	$(BIN)/rag ui --port $(UI_PORT) --api-url http://127.0.0.1:$(API_PORT)

# Debian's Chromium for the real-browser test. Where it cannot be installed the
# test is skipped with a message saying so.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
	      || echo "note: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium is not installed and apt-get needs root; the browser test will be skipped"; fi; }

test: install browser
	$(PY) -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m rag.bench.all

bench-quick: install
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m rag.bench.all --quick

# Train the reader (tens of minutes on 2 cores; resumable: rerun to continue). Never
# part of set-up or CI: the trained model ships inside the package.
SQUAD ?= ../shared/data/squad
train-reader: install
	$(PY) -m rag.reader.train $(SQUAD) --out data/reader-model --work data/reader-train

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
