"""The op table: one entry per TF op, filled by ``ops.core.op`` registrations.

This is a leaf module; it imports nothing from tapejax so every other module can read it.
"""
from typing import Any, Callable, NamedTuple


class OpDef(NamedTuple):
    """One registered op.

    ``fn`` is the pure JAX function (arrays and static keyword attributes in, arrays out);
    ``api`` is the TF-signature callable users see. ``kind`` and ``domain`` describe the op
    for the generated tests (``"unary"``, ``"binary"``, ``"reduction"`` or ``"other"``):
    ``domain`` is a ``(low, high)`` range for float test inputs, or ``"bool"``/``"int"``.
    """

    name: str
    fn: Callable
    api: Callable
    differentiable: bool
    kind: str
    domain: Any
    float_only: bool
    tf_name: str
    extra: Any = None


OPS: dict = {}


def register(opdef: OpDef) -> None:
    if opdef.name in OPS:
        raise KeyError(f"op {opdef.name!r} is registered twice")
    OPS[opdef.name] = opdef
