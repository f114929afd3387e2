# Two commands: `make run` and `make test`. Both create/refresh .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501

export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
export TF_CPP_MIN_LOG_LEVEL := 2
export OMP_WAIT_POLICY := PASSIVE

.PHONY: run test install browser-deps lint bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changed (or the venv is new).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian chromium + a CJK font for the browser tests (only as root, only if missing).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian chromium and fonts-wqy-microhei for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else \
	    echo "chromium/fonts-wqy-microhei missing and not root: browser tests will skip"; \
	  fi; \
	fi

run: install
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: install browser-deps
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check forecasting tests benchmarks pages app.py
	$(BIN)/ruff format --check forecasting tests benchmarks pages app.py

bench: install
	$(BIN)/python benchmarks/speed.py

sample: install
	$(BIN)/python -m forecasting sample

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts .shopcast_cache
