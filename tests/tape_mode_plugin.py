"""The ``tape_mode`` marker and its guard (a pytest plugin, loaded by the root conftest.py).

Lazy recording changes only what happens to ops run eagerly under a recording GradientTape,
so the second ``make test`` pass (``TAPEJAX_LAZY_TAPE=0``) runs ``-m tape_mode`` only. A test is
marked when its code (its function, the functions and fixtures it calls, its parameters)
names a tape API or an oracle helper that runs one; a test can also be marked by hand
(``@pytest.mark.tape_mode``). The guard keeps the marks honest: with lazy recording on, a test
that is not marked but deferred an op (``tapejax._lazy.STATS``) fails and says to mark it.
"""
import re
import types

import pytest

_TAPE_NAMES = frozenset({
    "GradientTape", "gradient", "jacobian", "batch_jacobian", "ForwardAccumulator",
    "compute_gradient", "explain_gradient", "lazy_tape", "lazy_tape_info",
    "compare", "gradients", "numeric_gradients", "run_taped",  # tests/tf_oracle.py
    "subprocess",  # a child process inherits TAPEJAX_LAZY_TAPE
})
_WORD = re.compile(r"[A-Za-z_]\w*")


def _code_names(code, seen):
    """The global and attribute names a code object and its nested code objects use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names") and const not in seen:
            seen.add(const)
            names |= _code_names(const, seen)
    return names


def _unwrap(fn):
    """The test function itself, under hypothesis's ``@given`` wrapper."""
    return getattr(getattr(fn, "hypothesis", None), "inner_test", fn)


def _uses_tape(fn, namespace, seen, depth=3):
    """True when ``fn``, or a function of ``namespace`` it calls (``depth`` levels), names a
    tape API."""
    code = getattr(_unwrap(fn), "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    names = _code_names(code, seen)
    if names & _TAPE_NAMES:
        return True
    if depth == 0:
        return False
    for name in names:
        value = namespace.get(name)
        if isinstance(value, types.ModuleType):  # ``helpers_module.fn(...)``
            value = getattr(value, "__dict__", {})
            if any(_uses_tape(value[m], value, seen, depth - 1) for m in names
                   if callable(value.get(m)) and not isinstance(value.get(m), type)):
                return True
        elif callable(value) and _uses_tape(value, namespace, seen, depth - 1):
            return True
    return False


def _is_tape_mode(item):
    text = getattr(item, "dtest", None)
    if text is not None:  # a doctest: the names its examples use
        return any(set(_WORD.findall(ex.source)) & _TAPE_NAMES for ex in text.examples)
    fn = getattr(item, "function", None)
    if fn is None:
        return False
    seen = set()
    fn = _unwrap(fn)
    namespace = fn.__globals__
    if _uses_tape(fn, namespace, seen):
        return True
    for defs in item._fixtureinfo.name2fixturedefs.values():
        for fixturedef in defs:
            if _uses_tape(fixturedef.func, fixturedef.func.__globals__, seen):
                return True
    for value in getattr(getattr(item, "callspec", None), "params", {}).values():
        if callable(value) and _uses_tape(value, namespace, seen):
            return True
        if isinstance(value, str) and ("Tape" in value or "gradient" in value):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("tape_mode") is None and _is_tape_mode(item):
            item.add_marker(pytest.mark.tape_mode)


def _deferred():
    from tapejax import _lazy
    return _lazy.STATS.deferred + _lazy.STATS.eager_fallbacks


_LAZY_OPS_BEFORE = pytest.StashKey[int]()


def pytest_runtest_setup(item):
    item.stash[_LAZY_OPS_BEFORE] = _deferred()


@pytest.hookimpl(wrapper=True)  # checks once the test's fixtures are torn down
def pytest_runtest_teardown(item, nextitem):
    yield
    from tapejax import _lazy
    before = item.stash.get(_LAZY_OPS_BEFORE, None)
    if (before is None or not _lazy.SETTINGS.enabled or item.get_closest_marker("tape_mode")
            or _deferred() == before):
        return
    pytest.fail(f"{item.nodeid} recorded ops lazily on a GradientTape but is not marked "
                "`@pytest.mark.tape_mode`, so the TAPEJAX_LAZY_TAPE=0 pass would skip it: add "
                "the mark (a doctest: use a tape API by name in its examples).", pytrace=False)
