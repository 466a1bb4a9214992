"""AutoGraph in ``tapejax.function``: the guide's and the reference's programs under tapejax
and TensorFlow, compared (values, gradients, printed output, exception classes and messages)."""
import re

import numpy as np
import pytest

import autograph_programs as programs
import tapejax
from tf_compare import compare

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


def test_error_points_at_the_user_line():
    with pytest.raises(ValueError) as info:
        programs.lim_undefined_in_else(tapejax, tapejax.constant(1.0))
    assert 'autograph_programs.py", line' in str(info.value)
    assert "if x > 0:" in str(info.value) and "__autograph_generated" not in str(info.value)


def test_variable_assigned_in_a_staged_loop_is_a_clear_error(real_tf):
    """TF assigns Variables inside a converted loop; tapejax cannot carry them yet."""
    theirs = programs.lim_variable_side_effect(real_tf, real_tf.constant(3))
    assert theirs.numpy() == 4.0
    with pytest.raises(NotImplementedError, match="tf.Variable .* is assigned inside a staged "
                                                  "loop") as info:
        programs.lim_variable_side_effect(tapejax, tapejax.constant(3))
    assert "autograph_programs.py" in str(info.value)
