"""AutoGraph in ``tapejax.function``: the guide's and the reference's programs under tapejax
and TensorFlow, compared (values, gradients, printed output, exception classes and messages)."""
import re
import sys

import numpy as np
import pytest

import autograph_programs as programs
import tapejax
from helpers import assert_same
from tf_oracle import compare

F32 = np.float32


def _message(error):
    """The cause line of an AutoGraph error ("in user code: ... Class: message")."""
    text = str(error)
    found = re.search(rf"{type(error).__name__}: (.*)", text)
    return (found.group(1) if found else text.splitlines()[0]).strip()


def _same_error(real_tf, program, *args, message=True):
    """Both libraries raise the same class (and cause line) for ``program``."""
    caught = []
    for lib in (tapejax, real_tf):
        tensors = [lib.constant(a) for a in args]
        with pytest.raises(Exception) as info:
            program(lib, *tensors)
        caught.append(info.value)
    ours, theirs = caught
    assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
    if message:
        assert _message(ours) == _message(theirs)
    assert "in user code:" in str(ours)
    return ours


def _same_printed(real_tf, capfd, program, *args):
    outputs = []
    for lib in (tapejax, real_tf):
        capfd.readouterr()
        program(lib, *[lib.constant(a) for a in args])
        outputs.append(capfd.readouterr().out)
    assert outputs[0] == outputs[1]
    return outputs[0]


# --- values and gradients -----------------------------------------------------------------------
@pytest.mark.parametrize("program, args", [
    (programs.guide_conditional, (np.array([1.5, -0.5], F32),)),
    (programs.guide_conditional, (np.array([-1.5, 0.5], F32),)),
    (programs.guide_dynamic_rnn, (np.random.RandomState(0).rand(2, 3, 4).astype(F32),
                                  np.zeros([2, 4], F32))),
    (programs.cf_conditional_expression, (np.array([1.0, 2.0], F32),)),
    (programs.cf_conditional_expression, (np.array([-1.0, -2.0], F32),)),
    (programs.lim_distinct_lambda_args, (np.float32(2.0),)),
    (programs.rules_method_and_nested_function, (np.array([1.0, 3.0], F32),)),
    (programs.rules_break_over_rows, (np.arange(8, dtype=F32).reshape(4, 2),)),
], ids=lambda p: getattr(p, "__name__", ""))
def test_values_and_gradients(real_tf, program, args):
    compare(real_tf, program, *args)


@pytest.mark.parametrize("program, args", [
    (programs.guide_while_tanh, (np.array([2.0, 1.0, 0.5], F32),)),
    (programs.guide_dataset_loop, (np.arange(4, dtype=F32), np.arange(4, dtype=F32)[::-1])),
    (programs.cf_python_value_becomes_tensor, (np.int32(3),)),
    (programs.cf_python_value_becomes_tensor, (np.int32(-3),)),
    (programs.cf_if_else, (np.float32(0.7),)),
    (programs.cf_if_else, (np.float32(0.2),)),
    (programs.cf_while, (np.float32(7.0),)),
    (programs.cf_for_over_stacked_list, ()),
    (programs.cf_break, (np.int32(0),)),
    (programs.cf_break_in_for, (np.int32(10),)),
    (programs.cf_break_in_for, (np.int32(2),)),
    (programs.cf_continue, (np.int32(7),)),
    (programs.cf_logical_operators, (np.float32(5.0),)),
    (programs.cf_logical_operators, (np.float32(50.0),)),
    (programs.cf_logical_operators, (np.float32(500.0),)),
    (programs.lim_defined_in_loop, (np.int32(5),)),
    (programs.lim_local_to_loop, (np.float32(5.0),)),
    (programs.lim_change_through_function, (np.int32(4),)),
    (programs.lim_tensor_array_functional, (np.int32(0),)),
    (programs.lim_tensor_array_dynamic, ()),
    (programs.lim_attribute_as_loop_var, (np.int32(3),)),
    (programs.lim_static_collections, (np.float32(2.5),)),
    (programs.lim_static_shape_check, (np.arange(3, dtype=F32),)),
    (programs.lim_static_shape_check, (np.arange(6, dtype=F32),)),
    (programs.lim_shape_invariants_kept, (np.int32(3),)),
    (programs.rules_builtin_range_of_tensor, (np.int32(5),)),
    (programs.rules_except_as_name, (np.arange(3, dtype=F32),)),
], ids=lambda p: getattr(p, "__name__", ""))
def test_values(real_tf, program, args):
    compare(real_tf, program, *args, grad=False)


# --- printed output -----------------------------------------------------------------------------
def test_fizzbuzz_prints_and_traces_once(real_tf, capfd):
    printed = _same_printed(real_tf, capfd, programs.guide_fizzbuzz, np.int32(15))
    assert printed.count("Tracing for loop") == 1 and printed.endswith("fizzbuzz\n")


@pytest.mark.parametrize("program", [
    programs.cf_for_over_tensor, programs.cf_for_over_range, programs.cf_for_over_dataset,
], ids=lambda p: p.__name__)
def test_loops_print_as_tf(real_tf, capfd, program):
    assert "iteration:" in _same_printed(real_tf, capfd, program)


def test_variable_local_to_a_branch(real_tf, capfd):
    assert _same_printed(real_tf, capfd, programs.lim_local_to_branch, np.float32(2.0)) == "4\n"


# --- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("program, args", [
    (programs.cf_return_in_while, (np.int32(0),)),
    (programs.cf_buggy_while_true_tf_break, (np.int32(5),)),
    (programs.cf_tf_break_in_python_for, (np.int32(5),)),
    (programs.cf_return_only_in_main_branch, (np.float32(1.0),)),
    (programs.cf_condition_changes_type, (np.float32(1.0),)),
    (programs.lim_undefined_in_else, (np.float32(1.0),)),
    (programs.lim_none_in_branch, (np.float32(1.0),)),
    (programs.lim_dtype_in_branches, (np.float32(1.0),)),
    (programs.lim_dtype_in_loop, (np.float32(1.0),)),
    (programs.lim_shape_in_loop, (np.float32(1.0),)),
], ids=lambda p: getattr(p, "__name__", ""))
def test_errors(real_tf, program, args):
    _same_error(real_tf, program, *args)


def test_shape_changing_while_loop_is_tf_error(real_tf):
    """TF's ValueError text, with the loop variable's position where TF names its tensor."""
    ours = _same_error(real_tf, programs.lim_while_loop_shape_changes, np.int32(3),
                       message=False)
    assert "Loop variable 1 enters the loop with shape (2,), but has shape (4,) after one " \
        "iteration. To allow the shape to vary" in str(ours)


def test_shape_changing_loop_allowed_by_invariants_is_not_implemented():
    with pytest.raises(NotImplementedError, match="shape_invariants allow that in TF"):
        programs.lim_while_loop_shape_invariants_grow(tapejax, tapejax.constant(3))


def test_error_points_at_the_user_line():
    with pytest.raises(ValueError) as info:
        programs.lim_undefined_in_else(tapejax, tapejax.constant(1.0))
    assert 'autograph_programs.py", line' in str(info.value)
    assert "if x > 0:" in str(info.value) and "__autograph_generated" not in str(info.value)


# --- Variables assigned in staged loops and branches ---------------------------------------------
_VARIABLE_PROGRAMS = [
    (programs.lim_variable_side_effect, (np.int32(3),)),
    (programs.var_assign_add_in_range, (np.int32(5),)),
    (programs.var_assign_add_in_range, (np.int32(0),)),
    (programs.var_while_reads_new_value, (np.float32(4.0),)),
    (programs.var_condition_reads_variable, (np.float32(20.0),)),
    (programs.var_if_assigns, (np.int32(3),)),
    (programs.var_if_inside_loop, (np.int32(7),)),
    (programs.var_nested_loops, (np.int32(4),)),
    (programs.var_plain_while_loop, (np.float32(1.0),)),
    (programs.var_train_steps, (np.arange(6, dtype=F32).reshape(3, 2), np.ones([3, 1], F32))),
    (programs.var_tape_inside, (np.float32(0.7),)),
    (programs.var_gradient_wrt_read_variable, (np.float32(0.7),)),
    (programs.var_gradient_wrt_assigned_variable, (np.float32(0.7),)),
    (programs.var_gradient_read_after_assign, (np.float32(0.7),)),
    (programs.var_condition_assigns, (np.float32(5.0),)),
    (programs.var_condition_assigns, (np.float32(-1.0),)),
    (programs.var_condition_assigns_bounded, (np.float32(10.0), np.float32(1.5))),
    (programs.var_condition_assigns_bounded, (np.float32(2.0), np.float32(1.5))),
]


@pytest.mark.parametrize("program, args", _VARIABLE_PROGRAMS,
                         ids=lambda p: getattr(p, "__name__", ""))
def test_variables_assigned_in_staged_blocks(real_tf, program, args):
    """Assignments inside staged loops and branches: the final values, the values the body
    read each step and the returned Variables' values are TF's (staged with ``lax`` directly,
    no tape recording)."""
    ours = program(tapejax, *[tapejax.constant(a) for a in args])
    theirs = program(real_tf, *[real_tf.constant(a) for a in args])
    assert_same(ours, theirs, 1e-5, 1e-6)


@pytest.mark.parametrize("program, args", _VARIABLE_PROGRAMS,
                         ids=lambda p: getattr(p, "__name__", ""))
def test_variables_assigned_in_staged_blocks_under_a_tape(real_tf, program, args):
    """The same under a recording tape (the blocks become tf.cond / tf.while_loop nodes)."""
    compare(real_tf, program, *args, grad=False)


@pytest.mark.parametrize("bound", [True, False])
def test_gradient_through_a_loop_that_assigns(real_tf, bound):
    """A loop that also assigns a Variable: gradients with respect to the input are TF's (with
    ``maximum_iterations`` the loop is a reverse-differentiable scan)."""
    def program(tf, x):
        steps = tf.Variable(0)

        @tf.function
        def f(x):
            def body(i, y):
                steps.assign_add(1)
                return i + 1, tf.sin(y) * x
            limit = 5 if bound else None
            return tf.while_loop(lambda i, y: i < 3, body, (0, x), maximum_iterations=limit)
        return f(x), steps.read_value()
    if bound:
        compare(real_tf, program, np.float32(0.7))
    else:
        compare(real_tf, programs.var_gradient_with_counter, np.float32(0.7))


def test_list_appended_in_a_staged_loop_is_tf_error(real_tf):
    """TF's InaccessibleTensorError (a ValueError) for a step's tensor kept in a Python list."""
    caught = []
    for lib in (tapejax, real_tf):
        with pytest.raises(ValueError) as info:
            programs.lim_list_append_in_loop(lib, lib.constant(3))
        caught.append(info.value)
    ours, theirs = caught
    assert type(ours).__name__ == type(theirs).__name__ == "InaccessibleTensorError"
    first = [str(e).splitlines()[0] for e in caught]
    assert first[0].startswith("<tf.Tensor shape=() dtype=int32>")
    assert first[0].split(">", 1)[1] == first[1].split(">", 1)[1]


def test_loop_assigning_a_variable_traces_once_for_any_n():
    v = tapejax.Variable(0)

    @tapejax.function
    def f(n):
        for i in tapejax.range(n):
            v.assign_add(i)
        return v.read_value()
    for n in (0, 1, 7, 100):
        v.assign(0)
        assert int(f(tapejax.constant(n))) == n * (n - 1) // 2
    assert f.experimental_get_tracing_count() == 1


# --- gradients through converted loops ----------------------------------------------------------
def _power_loop(tf, x, n, bound):
    @tf.function
    def bounded(x, n):
        y = x
        i = tf.constant(1)
        while i < n:
            tf.autograph.experimental.set_loop_options(maximum_iterations=16)
            y = y * x
            i += 1
        return y

    @tf.function
    def unbounded(x, n):
        y = x
        i = tf.constant(1)
        while i < n:
            y = y * x
            i += 1
        return y
    return (bounded if bound else unbounded)(x, n)


@pytest.mark.parametrize("n", [1, 3, 6])
def test_gradient_through_a_data_dependent_loop(real_tf, n):
    """A tape around a call whose loop ran ``n`` steps gives TF's gradient (the loop is bounded
    with set_loop_options, which makes it a reverse-differentiable scan)."""
    compare(real_tf, lambda tf, x, k: _power_loop(tf, x, k, True), np.float32(1.5), np.int32(n))


def test_unbounded_loop_has_no_reverse_gradient():
    """Documented: reverse mode through an unbounded lax.while_loop is refused by JAX."""
    x = tapejax.constant(1.5)
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = _power_loop(tapejax, x, tapejax.constant(3), False)
    assert float(y) == pytest.approx(1.5 ** 3)
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        tape.gradient(y, x)


def test_static_loop_differentiates_with_a_tape_inside(real_tf):
    def program(tf, x):
        @tf.function
        def f(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = x
                for _ in tf.range(3):
                    y = tf.sin(y) * x
            return y, tape.gradient(y, x)
        return f(x)
    compare(real_tf, program, np.float32(0.7))


# --- tracing and compilation --------------------------------------------------------------------
def test_range_loop_traces_once_for_any_n():
    @tapejax.function
    def total(n):
        s = tapejax.constant(0)
        for i in tapejax.range(n):
            s += i
        return s
    for n in (0, 1, 7, 1000):
        assert int(total(tapejax.constant(n))) == n * (n - 1) // 2
    assert total.experimental_get_tracing_count() == 1


def test_python_control_flow_stays_python():
    traced = []

    @tapejax.function
    def f(x, flag):
        traced.append(1)
        if flag:
            x = x + 1
        for _ in range(3):
            x = x * 2
        return x
    assert float(f(tapejax.constant(1.0), True)) == 16.0
    assert float(f(tapejax.constant(1.0), False)) == 8.0
    assert len(traced) == 2


def test_autograph_false_keeps_python_semantics():
    def f(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(tapejax.errors.OperatorNotAllowedInGraphError):
        tapejax.function(f, autograph=False)(tapejax.constant(1.0))
    assert float(tapejax.function(f)(tapejax.constant(-2.0))) == 2.0


# --- tf.autograph API ---------------------------------------------------------------------------
def _abs_like(x):
    if x > 0:
        y = x * x
    else:
        y = -x
    return y


def test_to_graph_runs_eagerly_and_traced(real_tf):
    for lib in (tapejax, real_tf):
        converted = lib.autograph.to_graph(_abs_like)
        assert int(converted(lib.constant(2))) == 4
        assert int(lib.function(converted)(lib.constant(-3))) == 3


def test_to_code_matches_tf_shape(real_tf):
    ours = tapejax.autograph.to_code(_abs_like)
    theirs = real_tf.autograph.to_code(_abs_like)
    assert ours.splitlines()[0] == theirs.splitlines()[0] == "def tf___abs_like(x):"
    for needle in ("ag__.if_stmt(", "def if_body():", "def else_body():", "fscope.ret("):
        assert needle in ours and needle in theirs


def test_do_not_convert_and_verbosity(real_tf):
    for lib in (tapejax, real_tf):
        @lib.autograph.experimental.do_not_convert
        def raw(x):
            if x > 0:
                return x
            return -x

        @lib.function
        def calls_raw(x):
            return raw(x)
        with pytest.raises(lib.errors.OperatorNotAllowedInGraphError):
            calls_raw(lib.constant(1.0))
        lib.autograph.set_verbosity(0)


def test_called_functions_are_converted_recursively(real_tf):
    def helper(x):
        while tf_sum(x) < 10.0:  # noqa: F821 - a global the program sets
            x = x * 2.0
        return x

    def program(tf, x):
        globals()["tf_sum"] = tf.reduce_sum
        return tf.function(lambda x: helper(x) + 1.0)(x)
    compare(real_tf, program, np.array([1.0, 2.0], F32), grad=False)


def test_builtin_features_print_and_assert(real_tf, capfd):
    def program(tf, x):
        features = (tf.autograph.experimental.Feature.BUILTIN_FUNCTIONS,)

        @tf.function(experimental_autograph_options=features)
        def f(x):
            print("x is", x, file=sys.stdout)
            return x
        f(x)
    printed = _same_printed(real_tf, capfd, program, np.array([1, 2], np.int32))
    assert printed == "x is [1 2]\n"
