"""Every elementwise and reduction op in the op table against real TensorFlow: values, dtypes,
shapes (scalar, broadcasting, empty), first- and second-order gradients, other dtypes.

New ops of these kinds are covered by registering them; ops with their own signatures are
tested in test_math_ops.py, test_linalg_ops.py and the other topic files."""
import numpy as np
import pytest

import tapejax
from tapejax._registry import OPS
from tf_oracle import gradients, rng_for, same_program

# The helpers behind ``x & y``, ``x | y``, ``x ^ y`` and ``~x`` have no TF function of that name.
_INTERNAL = {"invert_op", "bitwise_and_op", "bitwise_or_op", "bitwise_xor_op"}
_BOOL_INPUT = {"logical_and", "logical_or", "logical_xor", "logical_not", "reduce_all",
               "reduce_any"}
# TF registers no gradient for these ops' gradient kernels (e.g. "no entry for: SoftsignGrad"):
# compared to first order only (tapejax's second order comes from JAX and is checked by
# central differences in test_op_table_numeric_grads.py).
_TF_FIRST_ORDER_ONLY = {"softsign", "igamma", "igammac"}
_TABLE = sorted((d for d in OPS.values()
                 if d.kind in ("unary", "binary", "reduction") and d.name not in _INTERNAL),
                key=lambda d: d.name)

# (shapes, kwargs, gradient order): order 2 on the main case, 1 on a second broadcasting or
# multi-axis case, values only elsewhere (each gradient structure costs one XLA compile).
_UNARY = [([()], {}, 0), ([(3,)], {}, 0), ([(2, 3)], {}, 2), ([(0, 3)], {}, 0)]
_BINARY = [([(), ()], {}, 0), ([(3,), (3,)], {}, 0), ([(2, 3), (3,)], {}, 2),
           ([(2, 1), (1, 3)], {}, 1), ([(), (2, 3)], {}, 0), ([(0, 3), (3,)], {}, 0)]
_REDUCTION = [([()], {"axis": None, "keepdims": False}, 0),
              ([(2, 3)], {"axis": None, "keepdims": False}, 0),
              ([(2, 3)], {"axis": 1, "keepdims": True}, 2),
              ([(2, 3)], {"axis": -2, "keepdims": False}, 0),
              ([(2, 3, 2)], {"axis": (0, 2), "keepdims": False}, 1),
              ([(0, 3)], {"axis": 0, "keepdims": False}, 0),
              ([(0, 3)], {"axis": None, "keepdims": True}, 0)]
_CASES = {"unary": _UNARY, "binary": _BINARY, "reduction": _REDUCTION}


def tf_function(lib, opdef):
    """The op's function in ``lib``: tapejax's table entry, or TF's public function."""
    if lib is tapejax:
        return opdef.api
    for namespace in (lib.math, lib, lib.nn, lib.math.special):
        fn = getattr(namespace, opdef.name, None)
        if fn is not None:
            return fn
    raise LookupError(f"TensorFlow has no public function named {opdef.name!r}")


def _inputs(opdef, shapes, dtype, key):
    rng = rng_for(opdef.name, key)
    if opdef.name in _BOOL_INPUT or opdef.domain == "bool":
        return [rng.random(s) > 0.5 for s in shapes]
    lo, hi = opdef.domain or (-2.0, 2.0)
    if np.issubdtype(dtype, np.integer):
        values = [1, 2, 3] if lo > 0 else [-3, -2, -1, 1, 2, 3]
        return [rng.choice(values, size=s).astype(dtype) for s in shapes]
    return [rng.uniform(lo, hi, size=s).astype(dtype) for s in shapes]


_PARAMS = [pytest.param(d, *case, id=f"{d.name}-{k}")
           for d in _TABLE for k, case in enumerate(_CASES[d.kind])]


def test_every_table_op_has_a_tensorflow_counterpart(real_tf):
    for opdef in _TABLE:
        tf_function(real_tf, opdef)


@pytest.mark.parametrize("opdef, shapes, kwargs, order", _PARAMS)
def test_table_op_matches_tensorflow(real_tf, opdef, shapes, kwargs, order):
    """Values, dtypes and shapes, then gradients to ``order``, as in TF."""
    rtol = 1e-4 if opdef.kind == "reduction" else 1e-5
    xs = _inputs(opdef, shapes, np.float32, shapes)

    def program(tf, *args):
        return tf_function(tf, opdef)(*[tf.constant(a) for a in args], **kwargs)

    out = same_program(real_tf, program, *xs, rtol=rtol)
    if order == 0 or not out.dtype.is_floating:
        return
    if opdef.name in _TF_FIRST_ORDER_ONLY:
        order = 1

    def grads(tf, *args):
        return gradients(tf, lambda t, *a: tf_function(t, opdef)(*a, **kwargs), args,
                         (opdef.name, shapes), order)

    same_program(real_tf, grads, *xs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.int32, np.float64, np.float16])
@pytest.mark.parametrize("opdef", [pytest.param(d, id=d.name) for d in _TABLE])
def test_table_op_dtypes_match_tensorflow(real_tf, opdef, dtype):
    """Other dtypes: TF's result dtype, or TF's exception class for a float-only op."""
    shapes, kwargs, _ = _CASES[opdef.kind][2]
    xs = _inputs(opdef, shapes, dtype, "dtype")
    tol = 1e-3 if dtype == np.float16 else 1e-5

    def program(tf, *args):
        return tf_function(tf, opdef)(*[tf.constant(a) for a in args], **kwargs)

    same_program(real_tf, program, *xs, rtol=tol, atol=tol)
