"""The ``tape_mode`` marker (tests/tape_mode_plugin.py): a test that records on a tape is
marked from its code, and an unmarked test that records lazily fails with lazy recording on."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

_TESTS = '''
import tapejax as tf


def _square_gradient(x):
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    return g.gradient(y, x)


def test_names_the_tape():
    x = tf.constant(2.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    assert float(g.gradient(y, x)) == 4.0


def test_calls_a_helper_that_does():
    assert float(_square_gradient(tf.constant(3.0))) == 6.0


def test_no_tape():
    assert float(tf.constant(2.0) * 2.0) == 4.0


def test_hides_the_tape():
    tape = getattr(tf, "Gradient" + "Tape")()
    with tape:
        x = tf.constant(2.0)
        tape.watch(x)
        y = x * x
    assert float(y) == 4.0
'''


def _setup(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("TAPEJAX_LAZY_TAPE", "1")
    pytester.makeconftest('pytest_plugins = ["tests.tape_mode_plugin"]\n')
    pytester.makepyfile(test_programs=_TESTS)


def test_tests_that_name_a_tape_are_marked(pytester, monkeypatch):
    _setup(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-m", "tape_mode")
    selected = sorted(line.split("::")[1] for line in result.outlines if "::" in line)
    assert selected == ["test_calls_a_helper_that_does", "test_names_the_tape"]


def test_an_unmarked_test_that_records_lazily_fails(pytester, monkeypatch):
    _setup(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*test_hides_the_tape recorded ops lazily on a GradientTape but "
                                 "is not marked*"])
