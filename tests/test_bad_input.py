"""Bad input to every table op, generated from the op table, compared with real TensorFlow.

Each op gets good arguments (by parameter name, with a few per-op overrides); then one argument
at a time is replaced by a bad value of one *kind*: wrong Python types, wrong dtypes, mismatched
shapes, bad axes, NaN/inf, empty tensors and a rank-40 tensor. Both libraries run the same call;
tapejax must raise the exception class TF raises (or succeed where TF succeeds), name the
argument or the op in its message, leave a Variable passed as a good argument unchanged, and
leave no tape behind (the next ``GradientTape`` works).

``python tests/test_bad_input.py`` prints the figures: inputs tried, right class, allow-listed.
"""
import collections
import functools
import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, given, strategies as st

import tapejax
from bad_input_gaps import CLASS_DIFFERENCES, MESSAGE_GAPS
from helpers import property_settings
from tapejax._recording import STACK
from tapejax._registry import OPS
from tf_oracle import same_outcome

# --- good arguments -----------------------------------------------------------------------
_M = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
_T = "tensor"  # placeholder: a float32 Tensor (or Variable) of the library under test

_GOOD_BY_NAME = {
    "axis": 0, "axes": [0], "shape": [2, 2], "dtype": "float64", "padding": "VALID",
    "strides": 1, "stride": 1, "ksize": 1, "num_lower": 0, "num_upper": -1, "num": 3,
    "indices": np.array([0, 1], np.int32), "ids": np.array([0, 1], np.int32),
    "segment_ids": np.array([0, 0], np.int32), "seq_lengths": np.array([1, 2], np.int64),
    "depth": 3, "num_segments": 2, "repeats": 2, "multiples": [1, 2], "begin": [0, 0],
    "size": [1, 1], "paddings": [[0, 1], [1, 0]], "block_size": 2, "num_samples": 2,
    "shift": 1, "seed": [1, 2], "arr": np.array([1, 2], np.int32), "message": "checked",
    "rate": 0.5, "clip_norm": 1.0, "clip_value_min": 0.0, "clip_value_max": 2.0,
    "variance_epsilon": 1e-3, "start": 0.0, "stop": 1.0, "slice_spec": 0,
    "num_or_size_splits": 2, "condition": np.array([[True, False], [False, True]]),
    "t_list": [_T, _T], "inputs": [_T, _T], "output_shape": [1, 4, 4, 1],
}

_X4 = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
_RGB = np.full((2, 2, 3), 0.5, np.float32) * np.array([1, 0.5, 0.2], np.float32)
_OVERRIDES = {
    "rgb_to_hsv": {"images": _RGB}, "hsv_to_rgb": {"images": _RGB},
    "adjust_contrast": {"images": _RGB, "contrast_factor": 1.5},
    "adjust_hue": {"image": _RGB, "delta": 0.2},
    "adjust_saturation": {"image": _RGB, "saturation_factor": 1.5},
    "concat": {"values": [_T, _T]},
    "stack": {"values": [_T, _T]},
    "einsum": {"equation": "ij->ji"},
    "sparse_softmax_cross_entropy_with_logits": {"labels": np.array([0, 1], np.int32)},
    "random_gamma": {"alpha": 1.0}, "random_poisson": {"lam": 1.0},
    "stateless_random_gamma": {"alpha": 1.0}, "stateless_random_poisson": {"lam": 1.0},
    "tensor_scatter_nd_add": {"indices": np.array([[0]], np.int32), "updates": _M[:1]},
    "tensor_scatter_nd_sub": {"indices": np.array([[0]], np.int32), "updates": _M[:1]},
    "tensor_scatter_nd_update": {"indices": np.array([[0]], np.int32), "updates": _M[:1]},
    "scatter_nd": {"indices": np.array([[0], [1]], np.int32), "updates": _T},
    "gather_nd": {"indices": np.array([[0, 1]], np.int32)},
    "searchsorted": {"values": _T},
    "roll": {"axis": 0},
    "tensordot": {"axes": 1},
    "linspace": {"num": 3},
    "one_hot": {"indices": np.array([0, 1], np.int32)},
    "depth_to_space": {"input": np.ones((1, 1, 1, 4), np.float32)},
    "space_to_depth": {"input": _X4},
    "moments": {"axes": [0]},
    "bias_add": {"bias": np.array([1.0, 2.0], np.float32)},
    "reverse": {"axis": [0]},
    "local_response_normalization": {"input": _X4},
    "depthwise_conv2d": {"strides": [1, 1, 1, 1]},
    "conv3d": {"strides": [1, 1, 1, 1, 1]},
    "unsorted_segment_sum": {"segment_ids": np.array([0, 1], np.int32)},
    "approx_max_k": {"k": 1},
    "batch_to_space": {"input": np.ones((4, 1, 1, 1), np.float32),
                       "block_shape": np.array([2, 2], np.int32),
                       "crops": np.zeros((2, 2), np.int32)},
    "space_to_batch_nd": {"input": np.ones((1, 2, 2, 1), np.float32),
                          "block_shape": np.array([2, 2], np.int32),
                          "paddings": np.zeros((2, 2), np.int32)},
    "cross": {"a": np.array([[1, 2, 3], [4, 5, 6]], np.float32),
              "b": np.array([[0, 1, 0], [1, 0, 0]], np.float32)},
    "histogram_fixed_width": {"value_range": np.array([0.0, 5.0], np.float32)},
    "histogram_fixed_width_bins": {"value_range": np.array([0.0, 5.0], np.float32)},
    "in_top_k": {"targets": np.array([0, 1], np.int32), "k": 1},
    "invert_permutation": {"x": np.array([1, 0], np.int32)},
    "lu_reconstruct": {"perm": np.array([0, 1], np.int32)},
    "lu_solve": {"perm": np.array([0, 1], np.int32)},
    "resize_images": {"images": _X4},
    "set_diag": {"diagonal": np.array([1.0, 2.0], np.float32)},
    "tensor_scatter_nd_max": {"indices": np.array([[0]], np.int32), "updates": _M[:1]},
    "tensor_scatter_nd_min": {"indices": np.array([[0]], np.int32), "updates": _M[:1]},
    "tridiagonal_matmul": {"diagonals": np.ones((3, 2), np.float32)},
    "tridiagonal_solve": {"diagonals": np.array([[1, 1], [4, 4], [1, 1]], np.float32)},
    "unravel_index": {"dims": np.array([2, 2], np.int32)},
}
for _pool in ("avg_pool", "avg_pool2d", "max_pool", "max_pool2d", "conv2d", "depthwise_conv2d"):
    _OVERRIDES[_pool] = {"input": _X4, "filters": np.ones((1, 1, 1, 1), np.float32),
                         "filter": np.ones((1, 1, 1, 1), np.float32)}
_OVERRIDES["conv2d_transpose"] = {"input": _X4, "filters": np.ones((1, 1, 1, 1), np.float32)}
for _name, _rank in (("1d", 3), ("3d", 5)):
    _x = np.ones((1,) + (4,) * (_rank - 2) + (1,), np.float32)
    _f = np.ones((1,) * _rank, np.float32)
    for _op in ("avg_pool", "max_pool", "conv", "conv_transpose"):
        _OVERRIDES[f"{_op}{_name}"] = {"input": _x, "filters": _f,
                                       "output_shape": list(_x.shape)}


_NAMESPACES = ("math", "", "nn", "linalg", "random", "debugging", "math.special", "image")


def _module(lib, namespace):
    """``lib.math.special`` for ``"math.special"``; ``lib`` for ``""``."""
    return functools.reduce(getattr, namespace.split("."), lib) if namespace else lib


def _public_path(opdef):
    """Where tapejax exports the op (``("random", "normal")``), else its table name."""
    for namespace in _NAMESPACES:
        for attr, value in vars(_module(tapejax, namespace)).items():
            if value is opdef.api and not attr.startswith("_"):
                return namespace, attr
    return "", opdef.name


def tf_function(lib, opdef):
    """The op's public function in ``lib`` (tapejax's table entry), or None."""
    if lib is tapejax:
        return opdef.api
    namespace, attr = _public_path(opdef)
    fn = getattr(_module(lib, namespace), attr, None)
    if fn is not None:
        return fn
    for namespace in ("math", "nn", "linalg"):
        fn = getattr(getattr(lib, namespace), opdef.name, None)
        if fn is not None:
            return fn
    return None


def _required(opdef):
    sig = inspect.signature(opdef.api)
    return [p.name for p in sig.parameters.values()
            if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD]


def _optional_axis(opdef):
    sig = inspect.signature(opdef.api)
    return [p.name for p in sig.parameters.values()
            if p.name in ("axis", "axes") and p.default is not inspect.Parameter.empty]


def good_args(opdef):
    """The op's required arguments as library-neutral values (``_T`` for a float matrix)."""
    overrides = _OVERRIDES.get(opdef.name, {})
    if opdef.domain == "bool" or opdef.name.startswith("logical_"):
        overrides = dict.fromkeys(_required(opdef), _GOOD_BY_NAME["condition"])
    return {p: overrides.get(p, _GOOD_BY_NAME.get(p, _T)) for p in _required(opdef)}


# --- bad values ---------------------------------------------------------------------------
_RANK40 = np.ones((1,) * 40, np.float32)
_NANS = np.array([[np.nan, np.inf], [-np.inf, 1.0]], np.float32)
_TYPE_VALUES = {"str": "abc", "none": None, "object": object(), "mixed_list": [1, "a"],
                "dict": {"a": 1}}
_TENSOR_VALUES = {  # bad values for an argument whose good value is a float tensor
    "dtype_int32": _M.astype(np.int32), "dtype_bool": _M > 2,
    "dtype_float64": _M.astype(np.float64),
    "shape_3": np.ones(3, np.float32), "shape_2x3": np.ones((2, 3), np.float32),
    "nan_inf": _NANS, "empty_0": np.zeros(0, np.float32), "empty_2x0": np.zeros((2, 0), np.float32),
    "rank_40": _RANK40,
}
_INT_VALUES = {"dtype_float": 1.5, "negative": -3, "huge": 2**40}
_AXIS_VALUES = {"axis_5": 5, "axis_-5": -5, "axis_float": 1.5, "axis_repeated": [0, 0]}


def is_tensor_slot(good):
    return good is _T or (isinstance(good, np.ndarray) and good.dtype == np.float32)


def cases(opdef, all_slots=False):
    """Every ``(param, kind, bad_value)`` tried for ``opdef`` (tensor kinds on its first
    tensor argument; the drawn test also tries them on the others)."""
    out = []
    tensor_kinds = True
    for param, good in good_args(opdef).items():
        bad = dict(_TYPE_VALUES)
        if is_tensor_slot(good) and tensor_kinds:
            bad.update(_TENSOR_VALUES)  # first tensor slot only: each new shape compiles
            tensor_kinds = all_slots
        elif isinstance(good, int) and param not in ("axis", "axes"):
            bad.update(_INT_VALUES)
        out += [(param, kind, value) for kind, value in bad.items()]
    axis_params = [p for p in good_args(opdef) if p in ("axis", "axes")] + _optional_axis(opdef)
    for param in axis_params:
        out += [(param, kind, value) for kind, value in _AXIS_VALUES.items()]
    return out


def _materialize(lib, value, variable):
    if value is _T:
        return variable if variable is not None else lib.constant(_M)
    if isinstance(value, np.ndarray):
        return lib.constant(value)
    if isinstance(value, list):
        return [_materialize(lib, v, None) for v in value]
    if isinstance(value, str) and value in ("float64",):
        return getattr(lib, value)
    return value


def _call(lib, opdef, param, bad, variable=None):
    """Runs the op with ``param`` replaced by ``bad``; returns the exception class name and
    the exception (``("ok", None)`` when the call succeeds)."""
    good = good_args(opdef)
    kwargs = {}
    used_variable = False
    for p, value in good.items():
        if p == param:
            kwargs[p] = bad if not isinstance(bad, np.ndarray) else lib.constant(bad)
        elif value is _T and not used_variable:
            kwargs[p] = _materialize(lib, value, variable)
            used_variable = True
        else:
            kwargs[p] = _materialize(lib, value, None)
    if param not in kwargs:
        kwargs[param] = bad
    args = [kwargs.pop(p) for p in good]
    try:
        tf_function(lib, opdef)(*args, **kwargs)
    except Exception as error:  # the class is what is compared
        return type(error).__name__, error
    return "ok", None


def _good_call_works(opdef):
    import tensorflow  # only reached when the real_tf fixture found it
    fn = tf_function(tensorflow, opdef)
    if fn is None:
        return False
    good = good_args(opdef)
    try:
        fn(*[_materialize(tensorflow, v, None) for v in good.values()])
    except Exception:
        return False
    return True


# Calls that abort real TF's interpreter (its oneDNN conv/pool kernels CHECK-fail on a wrong
# input rank, and on strides/ksize beyond int32): tapejax raises TF's eager class for a bad
# shape or attribute instead, ``InvalidArgumentError``.
TF_ABORTS = {
    ("conv1d", "input", "shape_2x3"),
    ("conv1d", "input", "nan_inf"),
    ("conv1d", "input", "empty_2x0"),
    ("conv1d", "stride", "huge"),
    ("conv2d", "input", "shape_3"),
    ("conv2d", "input", "shape_2x3"),
    ("conv2d", "input", "nan_inf"),
    ("conv2d", "input", "empty_0"),
    ("conv2d", "input", "empty_2x0"),
    ("conv2d", "strides", "huge"),
    ("conv2d_transpose", "strides", "huge"),
    ("max_pool", "ksize", "huge"),
    ("max_pool", "strides", "huge"),
    ("max_pool1d", "ksize", "huge"),
    ("max_pool1d", "strides", "huge"),
    ("max_pool2d", "ksize", "huge"),
    ("max_pool2d", "strides", "huge"),
    ("max_pool3d", "ksize", "huge"),
    ("max_pool3d", "strides", "huge"),
}


def tf_class(real_tf, opdef, param, kind, bad):
    if (opdef.name, param, kind) in TF_ABORTS:
        return "InvalidArgumentError"
    return _call(real_tf, opdef, param, bad)[0]


# --- documented differences ---------------------------------------------------------------
# ``(op, param, kind)`` -> why tapejax's class differs from TF's; ``"*"`` matches anything.
# Each entry must still differ (checked), so the list cannot go stale.
ALLOWED = dict(CLASS_DIFFERENCES)


def allowed(op, param, kind):
    for key in ((op, param, kind), (op, param, "*"), (op, "*", kind), ("*", param, kind),
                (op, "*", "*"), ("*", "*", kind)):
        if key in ALLOWED:
            return ALLOWED[key]
    return None


# --- the checks ---------------------------------------------------------------------------
_TABLE = sorted(d for d in OPS.values())

# Ops whose generated good arguments TF rejects, so the sweep has no baseline for them yet:
# operator helpers with no TF function of that name (``x & y``, ``~x``, ``x[...]``), bool-only
# logical ops, ops needing shapes/specs the generator does not make, and raw ops (keyword
# arguments only; ``tests/test_image_geometry.py`` checks ImageProjectiveTransformV3's errors).
# They are not swept; a test below checks that exactly these are the ones without a working
# good call.
NO_BASELINE = {"ImageProjectiveTransformV3", "bitwise_and_op", "bitwise_or_op",
               "bitwise_xor_op", "conv1d_transpose",
               "conv3d", "conv3d_transpose", "depthwise_conv2d", "einsum", "getitem",
               "invert_op", "reverse_sequence",
               "sigmoid_cross_entropy_with_logits"}


def _names_argument_or_op(opdef, param, error):
    message = str(error)
    if "(argument `" in message:
        return f"`{param}`" in message or "(argument `" in message
    names = {opdef.name, opdef.tf_name, param, "[Op:"}
    return any(n in message for n in names)


def check_case(real_tf, opdef, param, kind, bad, counts=None, variable=None):
    """One bad input on both libraries; returns a failure description or None."""
    theirs = tf_class(real_tf, opdef, param, kind, bad)
    if variable is None:
        variable = tapejax.Variable(_M)
    with tapejax.GradientTape() as tape:
        tape.watch(variable)
        ours, error = _call(tapejax, opdef, param, bad, variable)
    problems = []
    if ours != theirs:
        reason = allowed(opdef.name, param, kind)
        if reason is None:
            problems.append(f"TF raised {theirs}, tapejax {ours}: {error!r}"[:300])
        elif counts is not None:
            counts["allowed"] += 1
    elif counts is not None:
        counts["right"] += 1
    if counts is not None:
        counts["tried"] += 1
    if (error is not None and not _names_argument_or_op(opdef, param, error)
            and (opdef.name, param, kind) not in MESSAGE_GAPS):
        problems.append(f"message names neither argument nor op: {error!r}"[:300])
    if not np.array_equal(variable.numpy(), _M):
        problems.append("the Variable changed")
    if STACK.tapes:
        problems.append("a tape was left on the stack")
        STACK.tapes = []
    return "; ".join(f"{opdef.name}({param}={kind}): {p}" for p in problems) or None


def next_tape_works():
    x = tapejax.constant(3.0)
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    return not STACK.tapes and float(tape.gradient(y, x)) == 6.0


_COUNTS = collections.Counter()


@pytest.mark.parametrize("opdef", [d for d in _TABLE if d.name not in NO_BASELINE],
                         ids=lambda d: d.name)
def test_bad_inputs_raise_tensorflows_class(real_tf, opdef):
    variable = tapejax.Variable(_M)
    failures = [check_case(real_tf, opdef, param, kind, bad, _COUNTS, variable)
                for param, kind, bad in cases(opdef)]
    failures = [f for f in failures if f]
    assert not failures, "\n".join(failures)
    assert next_tape_works()


def test_ops_without_a_baseline_are_the_listed_ones(real_tf):
    assert {d.name for d in _TABLE if not _good_call_works(d)} == NO_BASELINE


def test_allow_list_entries_still_differ(real_tf):
    for (op, param, kind), reason in ALLOWED.items():
        assert reason
        opdef = OPS[op]
        hits = [(p, k, b) for p, k, b in cases(opdef, all_slots=True)
                if param in ("*", p) and kind in ("*", k)]
        assert hits, (op, param, kind)
        assert any(tf_class(real_tf, opdef, p, k, b) != _call(tapejax, opdef, p, b)[0]
                   for p, k, b in hits), f"{(op, param, kind)} now matches TF: drop it"


def test_message_gaps_still_name_nothing():
    for op, param, kind in sorted(MESSAGE_GAPS):
        opdef = OPS[op]
        bad = dict((k, b) for p, k, b in cases(opdef, all_slots=True) if p == param)[kind]
        error = _call(tapejax, opdef, param, bad)[1]
        assert error is not None and not _names_argument_or_op(opdef, param, error), \
            f"{(op, param, kind)} now names the argument or the op: drop it"


_ALL_CASES = sorted({(d.name, p, k) for d in _TABLE for p, k, _ in cases(d, all_slots=True)})


@property_settings(60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(_ALL_CASES), data=st.data())
def test_drawn_bad_input(real_tf, case, data):
    name, param, kind = case
    opdef = OPS[name]
    if not _good_call_works(opdef):
        return
    bad = dict((k, b) for p, k, b in cases(opdef, all_slots=True) if p == param)[kind]
    if kind == "mixed_list":
        bad = data.draw(st.lists(st.one_of(st.integers(-5, 5), st.floats(allow_nan=True),
                                           st.text(min_size=1, max_size=3)),
                                 min_size=2, max_size=4).filter(
            lambda v: any(isinstance(e, str) for e in v)
            and not all(isinstance(e, str) for e in v)))
    problem = check_case(real_tf, opdef, param, kind, bad)
    assert problem is None, problem
    assert next_tape_works()


# --- operand conversion, beyond the sweep's float32 operands ------------------------------
_OPERAND_PROGRAMS = [
    "i - 1.5", "1.5 * i", "i // 1.5", "i < 1.5", "i == 1.5", "tf.maximum(i, 1.5)",
    "i + 1.5", "tf.add(i, 1.5)", "f + 'abc'", "tf.add('abc', 1.0)",  # tf.add converts alone
    "f - 'abc'", "'abc' * f", "tf.subtract('abc', 1.0)", "tf.subtract(1.0, 'abc')",
    "tf.subtract('abc', 'd')", "f - [1, 'a']", "f - ['a', 'b']", "f ** 'a'",
    "i / 1.5", "i / f", "f / i", "tf.math.divide_no_nan(i, f)", "b / b", "i / 2", "2 / i",
    "tf.math.multiply_no_nan(i, f)", "tf.math.multiply_no_nan(f, tf.cast(f, tf.float64))",
    "tf.math.multiply_no_nan(2, f)", "tf.math.multiply_no_nan(f, 'a')",
    "tf.math.multiply_no_nan(2.5, i)", "tf.math.multiply_no_nan(i, 2.5)",
    "tf.math.multiply_no_nan('a', f)", "tf.math.multiply_no_nan('a', 2.0)",
    "tf.math.multiply_no_nan(i, 2)", "tf.math.multiply_no_nan(f, 2)",
]


@pytest.mark.parametrize("program", _OPERAND_PROGRAMS)
def test_operand_conversion_raises_tensorflows_class(real_tf, program):
    """A Python operand is converted to the other operand's dtype (``TypeError`` when it
    cannot be) except by ``tf.add``, which converts it alone (the kernel's error);
    ``multiply_no_nan`` converts ``y`` to ``x``'s dtype (``ValueError`` for a Tensor)."""
    def scope(lib):
        return {"tf": lib, "i": lib.constant([1, 2]), "f": lib.constant([1.0, 2.0]),
                "b": lib.constant([True, False])}
    same_outcome(real_tf, program, scope)


_GRAPH_CHECKS = [
    "tf.matmul(tf.ones([2, 3]), tf.ones([4, 5]))", "tf.ones([2, 3]) + tf.ones([4, 5])",
    "tf.reshape(tf.ones([2, 3]), [4])", "tf.concat([tf.ones([2, 3]), tf.ones([2, 4])], 0)",
    "tf.gather(tf.ones([2, 3]), [0], axis=3)", "tf.reduce_sum(tf.ones([2, 3]), axis=4)",
    "tf.squeeze(tf.ones([2, 3]), axis=0)", "tf.transpose(tf.ones([2, 3]), [0, 2])",
    "tf.slice(tf.ones([2, 3]), [0, 0], [3, 3])", "tf.stack([tf.ones([2]), tf.ones([3])])",
    "tf.split(tf.ones([5]), 2)",
    "tf.nn.conv2d(tf.ones([1, 4, 4, 2]), tf.ones([3, 3, 3, 1]), 1, 'SAME')",
    "tf.one_hot(tf.ones([2]), 3)", "tf.tile(tf.ones([2, 3]), [2])",
    "tf.broadcast_to(tf.ones([3]), [2, 2])", "tf.pad(tf.ones([2, 3]), [[1, 1]])",
    "tf.expand_dims(tf.ones([2]), 3)", "tf.einsum('ij,jk->ik', tf.ones([2, 3]), tf.ones([4, 5]))",
]


@pytest.mark.parametrize("program", _GRAPH_CHECKS)
def test_shape_checks_inside_a_function_raise_tensorflows_graph_class(real_tf, program):
    """Inside ``tf.function`` TF checks shapes and input types when it builds the graph:
    ``ValueError`` (``TypeError`` for a type) where the eager op raises
    ``InvalidArgumentError``; a check left to the kernel (``Slice``) stays
    ``InvalidArgumentError``."""
    same_outcome(real_tf, f"tf.function(lambda: {program})()")
    same_outcome(real_tf, program)


def _values(out):
    return np.asarray(out).tolist()


# --- integer arguments and attributes, beyond the sweep's values --------------------------
_INTEGER_PROGRAMS = [
    "tf.nn.depth_to_space(x4, b'2')", "tf.nn.depth_to_space(x4, np.array([2]))",
    "tf.nn.depth_to_space(x4, 2.7)", "tf.one_hot([0, 1], 3, axis=np.array([0]))",
    "tf.argmax(m, axis=np.int64(0))", "tf.argmax(m, axis=tf.constant(0.0))",
    "tf.argmax(m, axis=tf.constant(0))", "tf.argmin(m, axis=[0])",
    "tf.repeat([1, 2], tf.constant([1.0, 2.0]))", "tf.repeat([1, 2], ['a', 'b'])",
    "tf.repeat([1, 2], 2**40)", "tf.random.categorical(tf.ones((1, 3)), [2])",
    "tf.random.categorical(tf.ones((1, 3)), b'2')", "tf.cast(m, None)",
    "tf.math.unsorted_segment_sum(m, [0, 1], [2])", "tf.linalg.band_part(m, 0, 'a')",
]


@pytest.mark.parametrize("program", _INTEGER_PROGRAMS)
def test_integer_arguments_raise_tensorflows_class(real_tf, program):
    """Integer arguments converted as TF converts them (to an int32 tensor, or as an op
    attribute), each with the class TF raises."""
    def scope(lib):
        return {"tf": lib, "np": np, "m": lib.ones((2, 2)), "x4": lib.ones((1, 1, 1, 4))}
    same_outcome(real_tf, program, scope)


# --- non-finite and singular matrices, beyond the sweep's one NaN/inf matrix --------------
_MATRICES = ["[[n, 1.], [1., 1.]]", "[[i, 0.], [0., 1.]]", "[[1., n], [3., 4.]]",
             "[[1., 2.], [n, 4.]]", "[[2., 0.], [0., n]]", "[[1., 0.], [i, 4.]]",
             "[[1., 2.], [2., 4.]]", "[[n, n], [n, n]]", "[[1e-45, 0.], [0., 1.]]",
             "[[n, 0.], [0., 1.]]", "[[[1., 0.], [0., 1.]], [[n, 0.], [0., 1.]]]"]
_MATRIX_OPS = ["tf.linalg.inv(a)", "tf.linalg.solve(a, tf.ones_like(a[..., :1]))",
               "tf.linalg.eigh(a)"]


@pytest.mark.parametrize("matrix", _MATRICES)
@pytest.mark.parametrize("program", _MATRIX_OPS)
def test_singular_or_nan_matrices_raise_as_tensorflow(real_tf, program, matrix):
    """TF's LU kernels call a matrix singular by its pivots, NaN included; its eigen solver
    fails where a NaN reaches the iteration."""
    values = eval(matrix, {"n": np.nan, "i": np.inf})  # fixed test values
    same_outcome(real_tf, program, lambda lib: {"tf": lib, "a": lib.constant(values, lib.float32)})


# --- dtypes without a TF kernel -------------------------------------------------------------
_KERNEL_PROGRAMS = {
    "AvgPool3D": "tf.nn.avg_pool3d(tf.cast(tf.ones((1, 2, 2, 2, 1)), d), 1, 1, 'VALID')",
    "Multinomial": "tf.random.categorical(tf.cast(tf.ones((1, 3)), d), 2)",
    "StatelessMultinomial": "tf.random.stateless_categorical(tf.cast(tf.ones((1, 3)), d), 2, "
                            "[1, 2])",
    "TensorScatterAdd": "tf.tensor_scatter_nd_add(tf.cast(tf.ones((2, 2)), d), [[0]], "
                        "tf.cast(tf.ones((1, 2)), d))",
    "TensorScatterSub": "tf.tensor_scatter_nd_sub(tf.cast(tf.ones((2, 2)), d), [[0]], "
                        "tf.cast(tf.ones((1, 2)), d))",
    "LowerBound": "tf.searchsorted(tf.cast(tf.ones((2, 2)), d), tf.cast(tf.ones((2, 2)), d))",
    "UpperBound": "tf.searchsorted(tf.cast(tf.ones((2, 2)), d), tf.cast(tf.ones((2, 2)), d), "
                  "side='right')",
    "ScatterNd": "tf.scatter_nd([[0], [0], [1]], tf.cast([1, 1, 0], d), [3])",
}
_KERNEL_DTYPES = ["bfloat16", "float16", "float32", "float64", "int8", "int32", "int64",
                  "uint8", "uint32", "complex64", "complex128", "bool"]


@pytest.mark.parametrize("op", sorted(_KERNEL_PROGRAMS))
def test_dtypes_without_a_kernel_raise_not_found(real_tf, op):
    """Each dtype gives TF's outcome: ``NotFoundError`` where TF's CPU build has no kernel."""
    value = _values if op == "ScatterNd" else None
    for dtype in _KERNEL_DTYPES:
        same_outcome(real_tf, _KERNEL_PROGRAMS[op], lambda lib: {"tf": lib, "d": dtype}, value)


# --- TF's rank limits -----------------------------------------------------------------------
_RANK_PROGRAMS = [
    "tf.argmax(x, axis=20)", "tf.argmin(tf.ones((1,)*8+(0,)), axis=8)",
    "tf.argmax(tf.ones((1,)*8))", "tf.argmin(tf.ones((1,)*7))", "tf.reverse(x, [20])",
    "tf.reverse(tf.ones((1,)*9, tf.bool), [0])", "tf.reverse(tf.ones((1,)*8), [0])",
    "tf.reverse(x, [0, 0])", "tf.pad(x, [[0,-1]]*9)", "tf.pad(tf.ones((1,)*8), [[0,1]]*8)",
    "tf.pad(tf.ones((2,)*6), [[0,5]]*6, mode='REFLECT')",
    "tf.pad(tf.ones((2,)*5), [[0,1]]*5, mode='SYMMETRIC')",
    "tf.where(tf.ones((1,)*9, tf.bool), 1., 2.)", "tf.where(True, tf.ones((1,)*9), 2.)",
    "tf.where(tf.ones((2,)*9) > 0, tf.ones((2,)*9), tf.ones((3,)))",
    "tf.where(tf.ones((2,)*8) > 0, tf.ones((2,)*8), 1.)",
    "tf.reduce_logsumexp(tf.ones((1,)*9, tf.int32))", "tf.reduce_logsumexp(x, axis=20)",
    "tf.reduce_logsumexp(x, axis=0, keepdims=True)", "tf.reduce_logsumexp(tf.ones((1,)*8))",
    "tf.nn.dropout(x, 0.)", "tf.nn.dropout(tf.ones((1,)*9, tf.int32), 0.5)",
    "tf.nn.dropout(x, 0.5, noise_shape=[1])", "tf.nn.dropout(tf.ones((1,)*8), 0.5)",
    "tf.reduce_logsumexp(tf.ones((1,)*9+(0,)))",
    "tf.pad(tf.ones((1,) * 7), [[0, 1], [0, 0]] * 3 + [[0, 1]])",
    "tf.pad(tf.ones((1,) * 8), [[1, 1]] + [[0, 0]] * 7)",
]


@pytest.mark.parametrize("program", _RANK_PROGRAMS)
def test_rank_limits_raise_tensorflows_class(real_tf, program):
    """TF's kernels handle a bounded rank: ArgMax 7, Pad 8 (6 after merging unpadded
    dimensions), MirrorPad 5, ReverseV2 8, SelectV2 (``where``, ``dropout``,
    ``reduce_logsumexp``) 8; each limit raises TF's class after the checks TF makes first."""
    same_outcome(real_tf, program, lambda lib: {"tf": lib, "x": lib.ones((1,) * 9)})


# --- float axes ---------------------------------------------------------------------------
_FLOAT_AXES = ["0.0", "1.0", "1.5", "-1.0", "0.5", "-0.5", "np.float32(1.5)", "-2.5", "[1.5]"]
_AXIS_OPS = ["tf.nn.softmax(m, axis=a)", "tf.nn.log_softmax(m, axis=a)", "tf.sort(m, axis=a)",
             "tf.argsort(m, axis=a)", "tf.squeeze(tf.ones((2, 1, 1)), axis=a)",
             "tf.sort(m, axis=tf.constant(a))"]


@pytest.mark.parametrize("axis", _FLOAT_AXES)
@pytest.mark.parametrize("program", _AXIS_OPS)
def test_float_axes_as_tensorflow(real_tf, program, axis):
    """``tf.sort``/``tf.argsort`` and ``tf.squeeze`` truncate a float axis with ``int()``;
    softmax takes one equal to the last axis and fails on the others."""
    value = eval(axis, {"np": np})  # fixed test values
    same_outcome(real_tf, program, lambda lib: {
        "tf": lib, "np": np, "m": lib.constant([[3.0, 1.0], [2.0, 4.0]]), "a": value}, _values)


# --- add_n's inputs -------------------------------------------------------------------------
# ``tf.add_n`` iterates ``inputs`` and converts each item alone; the kernel then wants one dtype
# and shape (strings included: its ``InvalidArgumentError``).
_ADD_N_PROGRAMS = [
    "tf.add_n([tf.ones(2), [1, 2]])", "tf.add_n([tf.ones(2), [1., 2.]])",
    "tf.add_n(tf.ones((2, 2)))", "tf.add_n(x for x in [tf.ones(2), tf.ones(2)])",
    "tf.add_n([[1, 2], tf.ones(2)])", "tf.add_n(None)", "tf.add_n(object())", "tf.add_n('abc')",
    "tf.add_n([1, 'a'])", "tf.add_n(['a', 1])", "tf.add_n([tf.ones(2), 'a'])", "tf.add_n([])",
    "tf.add_n(())", "tf.add_n(5)", "tf.add_n([1, 2.5])", "tf.add_n([2.5, 1])",
    "tf.add_n([None, 1])", "tf.add_n([tf.ones(2), None])", "tf.add_n((tf.ones(2), tf.ones(3)))",
    "tf.add_n([tf.ones(2)])", "tf.add_n([[1, 'a']])", "tf.add_n({'a': 1, 'b': 2})",
    "tf.add_n(np.ones((2, 2)))",
]


# --- inputs TF converts to a fixed dtype (bool ops) or casts (strings) ----------------------
# Bool ops convert a Python input to bool (``TypeError`` for numbers and strings), cast a NumPy
# one; a string cast to a number is TF's ``UnimplementedError``.
_CONVERSION_PROGRAMS = [
    "tf.reduce_all(np.array([1.5]))", "tf.reduce_all(np.array([0, 2]))",
    "tf.reduce_all(np.float64(2.0))", "tf.reduce_all([])", "tf.reduce_any([[True], [False]])",
    "tf.reduce_all(np.array([1]))", "tf.reduce_all(tf.constant(1))", "tf.math.logical_not([1, 0])",
    "tf.reduce_all('abc')", "tf.reduce_any(['a', 'b'])", "tf.reduce_all([True, False])",
    "tf.math.logical_not('abc')", "tf.math.logical_not([True])", "tf.cast('abc', tf.int32)",
    "tf.cast(['a'], tf.bool)", "tf.cast('1', tf.float32)", "tf.math.bincount('abc')",
    "tf.math.bincount(['1', '2'])", "tf.cast([1, 'a'], tf.int32)", "tf.reduce_any([1, 'a'])",
    "tf.math.logical_not(1)", "tf.reduce_all(1.5)",
]


# --- concat's values ------------------------------------------------------------------------
# ``tf.concat`` takes a non-list as a one-item list and returns one item through ``tf.identity``
# (converting it: ``ValueError`` for None or objects).
_CONCAT_PROGRAMS = [
    "tf.concat(None, 0)", "tf.concat(tf.ones((2,2)), 0)", "tf.concat({'a': 1}, 0)",
    "tf.concat(3, 0)", "tf.concat(object(), 0)", "tf.concat([tf.ones(2)], 5)",
    "tf.concat([tf.ones(2)], [0])", "tf.concat([tf.ones(2)], 1.5)", "tf.concat([3], 0)",
    "tf.concat((tf.ones(2), tf.ones(3)), 0)", "tf.concat([[1, 2], [3]], 0)",
    "tf.concat([tf.ones(2), [1, 2]], 0)", "tf.concat(x for x in [tf.ones(2)])",
    "tf.concat([tf.ones(2)], 'a')",
    # a one-value axis: ConcatV2 takes a scalar or a [1] vector, ExpandDims any one-value tensor
    "tf.concat([tf.ones(2), tf.ones(2)], [0])", "tf.concat([tf.ones(2), tf.ones(2)], [[0]])",
    "tf.concat([tf.ones(2), tf.ones(2)], [0, 0])", "tf.expand_dims(tf.ones(2), [0])",
    "tf.expand_dims(tf.ones(2), [[1]])", "tf.expand_dims(tf.ones(2), [0, 1])",
    "tf.expand_dims(tf.ones(2), [])",
]


# --- linspace's arguments -------------------------------------------------------------------
# ``num`` must convert to an integer tensor (``TypeError``); ``stop`` converts to ``start``'s
# dtype; a list ``axis`` fails in ``expand_dims`` or TF's Python compare.
_LINSPACE_PROGRAMS = [
    "tf.linspace(0., 1., 3, axis=[0, 0])", "tf.linspace(0., 1., 3, axis=[0])",
    "tf.linspace(0., 1., 3.0)", "tf.linspace(0., 1., np.int64(3))",
    "tf.linspace(0., 1., tf.constant(3.))", "tf.linspace(0., 1., 'abc')",
    "tf.linspace('abc', 1., 3)", "tf.linspace(0., 'abc', 3)",
    "tf.linspace(0., 1., tf.constant(3))", "tf.linspace(0., 1., 1.5)",
    "tf.linspace(0., 1., 3, axis=(0,))", "tf.linspace([0., 1.], [1., 2.], 3, axis=1)",
    "tf.linspace(0., 1., None)", "tf.linspace(0., 1., [3])",
]


@pytest.mark.parametrize("program", _ADD_N_PROGRAMS + _CONVERSION_PROGRAMS + _CONCAT_PROGRAMS
                         + _LINSPACE_PROGRAMS)
def test_argument_conversion_as_tensorflow(real_tf, program):
    """Arguments converted as TF converts them (see each list): the same value, or the same
    exception class."""
    same_outcome(real_tf, program, value=_values)


# --- integer division by zero, logical ops on non-bool inputs --------------------------------
# TF's CPU kernels raise for an integer 0 divisor: FloorDiv/FloorMod (``//``, ``%``) an
# ``InvalidArgumentError``, TruncateDiv/TruncateMod an ``InternalError``; float division and
# ``truediv`` of integers give inf. Logical ops convert a Python input to bool (``TypeError``),
# cast a NumPy one, and reject a Tensor of another dtype in the kernel (``logical_xor`` is
# TF Python on ``LogicalOr``).
_DIVISION_PROGRAMS = [
    f"{op}({x}, {y})"
    for op in ("tf.math.floordiv", "tf.math.floormod", "tf.truncatediv", "tf.truncatemod",
               "tf.math.truediv", "tf.math.divide_no_nan")
    for x, y in (("i", "z"), ("i", "0"), ("5", "z"), ("i", "tf.cast(z, tf.float32)"),
                 ("tf.cast(i, tf.int64)", "tf.cast(z, tf.int64)"),
                 ("tf.cast(i, tf.uint8)", "tf.cast(z, tf.uint8)"), ("f", "0.0"),
                 ("i", "tf.constant([1, 2, 3])"), ("tf.constant([], tf.int32)", "0"),
                 ("i", "tf.constant([0, 1])"))
] + ["i // z", "i % z", "i // 0", "5 % z", "i // v", "i / z", "f // 0.0", "f % 0.0"]
_LOGICAL_PROGRAMS = [
    f"tf.math.{op}({x}, {y})"
    for op in ("logical_and", "logical_or", "logical_xor")
    for x, y in (("[1, 0]", "[True, False]"), ("1", "True"), ("True", "1"), ("'a'", "True"),
                 ("True", "'a'"), ("np.array([1, 0])", "True"), ("True", "np.array([2, 0])"),
                 ("np.array(0.5)", "True"), ("b", "1.5"), ("b", "[1]"), ("b", "i"),
                 ("i", "b"), ("None", "True"), ("[True, 'a']", "True"), ("b", "b"),
                 ("[[True], [False]]", "b"))
] + [f"tf.math.logical_not({x})" for x in ("1", "np.array([2, 0])", "i", "None",
                                           "np.float32(0.5)", "[[True], [False]]", "'a'")]


@pytest.mark.parametrize("program", _DIVISION_PROGRAMS + _LOGICAL_PROGRAMS)
def test_division_and_logical_inputs_as_tensorflow(real_tf, program):
    """Integer division by zero and logical ops on non-bool inputs: TF's class or value."""
    same_outcome(real_tf, program, lambda lib: {
        "tf": lib, "np": np, "i": lib.constant([5, -7, 3]), "z": lib.constant([0, 2, 0]),
        "f": lib.constant([1.0, -2.0]), "b": lib.constant([True, False]),
        "v": lib.Variable([1, 0, 2])}, lambda out: (repr(_values(out)), out.dtype.name))


# --- softmax_cross_entropy_with_logits: TF's 2-D flattening ------------------------------
_XENT_R = np.random.RandomState(0)
_XENT_L = _XENT_R.normal(size=(2, 3)).astype(np.float32)
_XENT_P = np.abs(_XENT_R.normal(size=(2, 3))).astype(np.float32)
_XENT_PROGRAMS = [
    "tf.nn.softmax_cross_entropy_with_logits(tf.ones((1,)*40), tf.ones((2,2)))",
    "tf.nn.softmax_cross_entropy_with_logits(P[0], L)",
    "tf.nn.softmax_cross_entropy_with_logits(P[:1], L)",
    "tf.nn.softmax_cross_entropy_with_logits(P[:, :1], L)",
    "tf.nn.softmax_cross_entropy_with_logits(P.reshape(1, 2, 3), L)",
    "tf.nn.softmax_cross_entropy_with_logits(P.reshape(2, 1, 3), L.reshape(1, 2, 3))",
    "tf.nn.softmax_cross_entropy_with_logits(P, L[0])",
    "tf.nn.softmax_cross_entropy_with_logits(P[:, :2], L)",
    "tf.nn.softmax_cross_entropy_with_logits(P.reshape(3, 2), L)",
    "tf.nn.softmax_cross_entropy_with_logits(np.ones((3, 1, 3), np.float32), L)",
    "tf.nn.softmax_cross_entropy_with_logits(P, L, axis=0)",
    "tf.nn.softmax_cross_entropy_with_logits(P[:1], L, axis=0)",
    "tf.nn.softmax_cross_entropy_with_logits(P, L)",
    "tf.nn.softmax_cross_entropy_with_logits(1.0, L)",
    "tf.nn.softmax_cross_entropy_with_logits(P, 1.0)",
]


@pytest.mark.parametrize("program", _XENT_PROGRAMS)
def test_softmax_xent_flattens_as_tensorflow(real_tf, program):
    """TF flattens labels and logits to ``[rows, classes]``; labels broadcast by one row or one
    class there, and the loss takes the logits' leading shape."""
    same_outcome(real_tf, program, lambda lib: {"tf": lib, "np": np, "P": _XENT_P, "L": _XENT_L},
                  lambda out: np.round(np.asarray(out), 5).tolist())


if __name__ == "__main__":  # the figures for the reliability report
    import tensorflow

    counts = collections.Counter()
    skipped = [d.name for d in _TABLE if not _good_call_works(d)]
    gaps, messages = {}, {}
    for d in _TABLE:
        if d.name in skipped:
            continue
        variable = tapejax.Variable(_M)
        for param, kind, bad in cases(d):
            theirs = tf_class(tensorflow, d, param, kind, bad)
            problem = check_case(tensorflow, d, param, kind, bad, counts, variable)
            if problem and "TF raised" in problem:
                gaps[(d.name, param, kind)] = (theirs, _call(tapejax, d, param, bad)[0])
            if problem and "message names" in problem:
                messages[(d.name, param, kind)] = problem
    print(dict(counts), "skipped ops:", skipped)
    print("GAPS", gaps)
    print("MESSAGES", messages)
