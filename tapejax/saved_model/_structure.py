"""Nested inputs and outputs of saved functions as JSON: TensorSpecs, lists, tuples, dicts
and JSON literals (``None``, bools, numbers, strings). Nothing else is written or read."""
from .. import dtypes, errors
from ..tensor_spec import TensorSpec

LITERALS = (type(None), bool, int, float, str)


def encode(x, where):
    """JSON for ``x``; ``where`` names the function in the error for what cannot be saved."""
    if isinstance(x, TensorSpec):
        shape = None if x.shape.rank is None else list(x.shape.as_list())
        return {"spec": {"shape": shape, "dtype": x.dtype.name, "name": x.name}}
    if type(x) in (list, tuple):
        return {type(x).__name__: [encode(v, where) for v in x]}
    if type(x) is dict and all(isinstance(k, str) for k in x):
        return {"dict": [[k, encode(v, where)] for k, v in x.items()]}
    if type(x) in LITERALS:
        return {"value": x}
    raise ValueError(f"tapejax.saved_model cannot save {type(x).__name__} {x!r} in the "
                     f"inputs or outputs of {where}: only tensors, lists, tuples, dicts with "
                     "string keys and None/bool/int/float/str values are saved.")


def decode(j):
    """The structure ``encode`` wrote (DataLossError for anything else)."""
    if not isinstance(j, dict) or len(j) != 1:
        raise _corrupt(j)
    (kind, body), = j.items()
    if kind == "spec":
        try:
            return TensorSpec(body["shape"], dtypes.as_dtype(body["dtype"]), body["name"])
        except (KeyError, TypeError, ValueError):
            raise _corrupt(j) from None
    if kind in ("list", "tuple") and isinstance(body, list):
        return (list if kind == "list" else tuple)(decode(v) for v in body)
    if kind == "dict" and isinstance(body, list):
        if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in body):
            raise _corrupt(j)
        return {k: decode(v) for k, v in body}
    if kind == "value" and type(body) in LITERALS:
        return body
    raise _corrupt(j)


def _corrupt(j):
    return errors.DataLossError(None, None, f"corrupt tapejax SavedModel structure: {j!r:.200}")
