# Set-up and checks. `make demo` and `make test` each build .venv from scratch when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-long bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-demo: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[demo]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test]"
	touch $@

demo: $(VENV)/.installed-demo
	$(PY) examples/tutorial.py
	$(PY) -m tapejax run examples/train_digits.py

# The whole suite twice: lazy recording inside tapes on (the default), then off.
test: $(VENV)/.installed-test
	$(PY) -m pytest -q tapejax tests README.md
	TAPEJAX_LAZY_TAPE=0 $(PY) -m pytest -q tapejax tests README.md

# Nightly size: property tests draw ten times more, fresh examples each run.
test-long: $(VENV)/.installed-test
	TAPEJAX_TEST_LONG=1 $(PY) -m pytest -q tapejax tests README.md

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[bench]"
	touch $@

# Side-by-side with TensorFlow and a pure-JAX floor; writes benchmarks/results/ (a few minutes).
bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks.compare

clean:
	rm -rf $(VENV)
