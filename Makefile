# Set-up and checks. `make demo` and `make test` each build .venv from scratch when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-fast test-long lint bench clean

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

# The whole suite with lazy recording inside tapes on (the default), then the tests that depend
# on it (marker `tape_mode`, see conftest.py) with it off; TEST_JOBS pytest-xdist workers.
TEST_JOBS ?= 2
XDIST := -n $(TEST_JOBS) --dist worksteal
test: $(VENV)/.installed-test
	$(PY) -m pytest -q $(XDIST) tapejax tests README.md
	TAPEJAX_LAZY_TAPE=0 $(PY) -m pytest -q $(XDIST) -m "tape_mode and not keras" tapejax tests README.md

# Under a minute: values, tapes, lazy recording, structures; no TF sweeps, nothing marked slow.
FAST_TESTS := tests/test_values.py tests/test_tape.py tests/test_lazy_tape.py \
	tests/test_structure.py tests/test_variable_slices.py tests/test_framework_extras.py
test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -q -m "not slow" $(FAST_TESTS)

# Nightly size: property tests draw ten times more, fresh examples each run.
test-long: $(VENV)/.installed-test
	TAPEJAX_TEST_LONG=1 $(PY) -m pytest -q tapejax tests README.md

$(VENV)/.installed-lint: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[lint]"
	touch $@

# ruff (pyflakes, pycodestyle, bugbear, isort, unused noqa) and mypy, as configured in
# pyproject.toml, and an acyclic module-level import graph.
lint: $(VENV)/.installed-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) tools/import_graph.py > /dev/null  # fails on an import cycle

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[bench]"
	touch $@

# Side-by-side with TensorFlow and a pure-JAX floor; writes benchmarks/results/ (a few minutes).
bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks.compare

clean:
	rm -rf $(VENV)
