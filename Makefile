# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint venv screenshots walkthrough bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/faceshelf

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# ruff, configured in pyproject.toml ([tool.ruff]); .ci/run calls it before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check --no-cache .

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m gui.screenshots screenshots

# The real app under Xvfb, driven with xdotool; screenshots in bench/out/walkthrough.
walkthrough: $(STAMP)
	$(PY) bench/gui_walkthrough.py

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
