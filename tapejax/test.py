"""``tf.test.compute_gradient``: theoretical (by tape) and numerical Jacobians, as TF."""
import numpy as np

from .tape import GradientTape
from .tensor import convert_to_tensor


def _theoretical(f, xs, param):
    with GradientTape() as tape:
        tape.watch(xs[param])
        y = convert_to_tensor(f(*xs))
    jac = tape.jacobian(y, xs[param])
    y_size, x_size = int(np.prod(y.shape.as_list())), int(np.prod(xs[param].shape.as_list()))
    dtype = xs[param].dtype.as_numpy_dtype
    if jac is None:
        return np.zeros((y_size, x_size), dtype)
    return np.asarray(jac.numpy(), dtype).reshape(y_size, x_size)


def _numerical(f, xs, param, delta):
    x = np.array(xs[param].numpy())
    dtype = x.dtype
    columns = []
    for i in range(x.size):
        values = []
        for sign in (1, -1):
            shifted = x.copy().reshape(-1)
            shifted[i] += sign * delta
            args = list(xs)
            args[param] = convert_to_tensor(shifted.reshape(x.shape).astype(dtype))
            values.append(np.asarray(convert_to_tensor(f(*args)).numpy(), dtype).reshape(-1))
        columns.append((values[0] - values[1]) / np.asarray(2 * delta, dtype))
    y_size = columns[0].size if columns else int(np.size(convert_to_tensor(f(*xs)).numpy()))
    return (np.stack(columns, axis=1) if columns else np.zeros((y_size, 0), dtype)).astype(dtype)


def compute_gradient(f, x, delta=None):
    """Theoretical and numerical Jacobians of ``f`` w.r.t. each argument in ``x``.

    Returns two tuples of 2-d NumPy arrays (``y_size`` rows, ``x_size`` columns), as TF; the
    default ``delta`` is 1/1024, TF's exactly representable step.

    >>> import tapejax as tf
    >>> theoretical, numerical = tf.test.compute_gradient(lambda x: x * x, [1.0])
    >>> theoretical
    (array([[2.]], dtype=float32),)
    """
    if not isinstance(x, (list, tuple)):
        raise ValueError("`x` must be a list or tuple of values convertible to a Tensor "
                         f"(arguments to `f`), not a {type(x)}")
    delta = 1.0 / 1024 if delta is None else delta
    xs = [convert_to_tensor(v) for v in x]
    for v in xs:
        if v.dtype.is_complex:
            raise NotImplementedError("compute_gradient supports real dtypes only in tapejax.")
    theoretical = tuple(_theoretical(f, xs, k) for k in range(len(xs)))
    numerical = tuple(_numerical(f, xs, k, delta) for k in range(len(xs)))
    return theoretical, numerical
