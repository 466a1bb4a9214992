"""Gradients by replay: recorded nodes -> one pure function -> ``jax.vjp``, compiled and cached.

``plan`` names the targets and sources in the tape's codes and asks ``_graph.select`` for the
nodes between them (cached by the tape's structure, so the steps of a training loop share one
selection); the selection's key picks a cached ``jax.jit`` function of ``_graph.replay``. Values
are always arguments (the sources, then the constants), never baked in.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp

from . import _graph, _lazy, _second_order
from ._cache import Cache
from ._recording import STACK, record
from .tensor import Tensor

CACHE_SIZE = 512


class Plan(NamedTuple):
    key: tuple  # structure only: steps, injects, counts, group layout, target refs
    sources: list  # source Tensors, one per slot (the replay's arguments)
    consts: list  # Tensors / Python constants the replay reads (its constants)
    groups: tuple  # per requested source: tuple of slots (empty: unconnected)
    targets: tuple  # refs of the connected targets
    target_index: tuple  # which of the caller's targets those are


_SELECTIONS = Cache("gradient.plans", 512)  # (tape structure, target/source codes) -> Selection


def plan(tape, targets, source_groups, honor_none=False):
    """The nodes of ``tape`` between ``source_groups`` and ``targets``, with this tape's values
    put in. Values are named in the tape's codes (``_graph``); a value the tape does not know
    is numbered as a constant after the tape's leaves."""
    producer, leaf_index, others, other_code = tape.producer, tape.leaf_index, [], {}
    n_leaves = len(tape.leaves)

    def code(x):
        c = producer.get(id(x))
        if c is None:
            c = leaf_index.get(id(x))
            if c is None:
                c = other_code.get(id(x))
                if c is None:
                    others.append(x)
                    c = other_code[id(x)] = -n_leaves - len(others)
        return c
    key = (tuple(tape.structure), tuple([code(t) for t in targets]),
           tuple([tuple([code(s) for s in group]) for group in source_groups]), honor_none)
    selection = _SELECTIONS.get(key, lambda: _graph.select(*key))
    values, leaves = tape.values, tape.leaves

    def find(c):
        if c >= 0:
            return values[c]
        return leaves[-c - 1] if -c <= n_leaves else others[-c - n_leaves - 1]
    return Plan(selection.key, [find(c) for c in selection.sources],
                [find(c) for c in selection.consts], selection.groups, selection.targets,
                selection.target_index)


def _replay_fn(key, forward_mode=False):
    """The plan's computation as a pure function of (source values, constant values), and the
    primals to differentiate at: a source that names a recomputed value enters as a zero."""
    steps, injects, _, _, _, target_refs = key
    zeroed = {s for _, s in injects}

    def primals(source_values):
        return [jnp.zeros_like(v) if s in zeroed else v for s, v in enumerate(source_values)]

    def replay(source_values, const_values):
        return _graph.replay(steps, target_refs, source_values, const_values, injects,
                             forward_mode)
    return replay, primals


def _group_sums(grads, groups):
    out = []
    for group in groups:
        if group:
            total = grads[group[0]]
            for s in group[1:]:
                total = total + grads[s]
            out.append(total)
    return tuple(out)


def _build_gradient(key, with_cotangents):
    """The gradient function of a plan. It also returns the targets' values, which the
    forward pass computes anyway: targets that lazy recording left pending take them."""
    groups = key[4]
    replay, primals = _replay_fn(key)

    def gradient(source_values, const_values, cotangents=None):
        outs, pullback = jax.vjp(lambda s: replay(s, const_values), primals(source_values))
        if not with_cotangents:
            cotangents = [jnp.ones_like(y) for y in outs]
        (grads,) = pullback(list(cotangents))
        return _group_sums(grads, groups) + tuple(outs)
    return gradient


def _build_jvp(key):
    groups = key[4]
    replay, primals = _replay_fn(key, forward_mode=True)
    with_tangent = sorted(s for group in groups for s in group)

    def jvp(source_values, const_values, tangents):
        given = dict(zip(with_tangent, tangents))
        tangent_in = [given[s] if s in given else jnp.zeros_like(v)
                      for s, v in enumerate(source_values)]
        _, out = jax.jvp(lambda s: replay(s, const_values), (primals(source_values),),
                         (tangent_in,))
        return tuple(out)
    return jvp


def _batch_major(columns):
    """``columns[i, b, ...]`` as ``[b, i, ...]``, by a gather of whole rows. The same values as
    ``jnp.moveaxis(columns, 0, 1)``, but XLA:CPU makes that transpose two passes over the
    result (an identity copy, then the transpose) in a program with several outputs, such as
    a ``tapejax.function`` step; the gather is one."""
    rows, batch = columns.shape[:2]
    order = (jnp.arange(batch)[:, None] + batch * jnp.arange(rows)[None, :]).reshape(-1)
    flat = columns.reshape((rows * batch,) + columns.shape[2:])
    picked = jnp.take(flat, order, axis=0, mode="clip", unique_indices=True)
    return picked.reshape((batch, rows) + columns.shape[2:])


def _build_jacobian(key, batched, chunk):
    groups = key[4]
    replay, primals = _replay_fn(key)

    def jacobian(source_values, const_values):
        (y,), pullback = jax.vjp(lambda s: replay(s, const_values), primals(source_values))
        rows = y.size // y.shape[0] if batched else y.size

        def column(i):
            """The vjp with the i-th unit cotangent (for every batch row when batched)."""
            unit = jax.nn.one_hot(i, rows, dtype=y.dtype)
            if batched:
                unit = jnp.broadcast_to(unit, (y.shape[0], rows))
            return _group_sums(pullback([unit.reshape(y.shape)])[0], groups)

        index = jnp.arange(rows)
        columns = jax.lax.map(column, index, batch_size=chunk) if chunk else jax.vmap(column)(index)
        out = []
        for col, group in zip(columns, [g for g in groups if g]):
            x_shape = source_values[group[0]].shape
            if batched:
                col = _batch_major(col).reshape(y.shape + x_shape[1:])
            else:
                col = col.reshape(y.shape + x_shape)
            out.append(col)
        return tuple(out)
    return jacobian


class _Compiled:
    """A built derivative function; called with flat values it is also a recordable node.

    Plans that contain an eager-only node (a ``custom_gradient`` whose ``grad_fn`` may look at
    values, as TF runs it) are not compiled: JAX then runs the vjp on concrete arrays.
    """

    __slots__ = ("call", "n_sources", "n_consts", "with_extra", "n_values", "eager_only",
                 "output_deps", "__weakref__")

    def __init__(self, fn, n_sources, n_consts, with_extra, n_values, eager_only):
        self.call = fn if eager_only else jax.jit(fn)
        self.n_sources = n_sources
        self.n_consts = n_consts
        self.with_extra = with_extra
        self.n_values = n_values  # trailing outputs of ``call``: the targets' values
        self.eager_only = eager_only
        self.output_deps = None  # set by ``_run`` before the call is first recorded

    def __call__(self, *values):
        s, c = self.n_sources, self.n_consts
        args = (values[:s], values[s:s + c]) + ((values[s + c:],) if self.with_extra else ())
        out = self.call(*args)
        return out[:len(out) - self.n_values] if self.n_values else out


CACHE = Cache("gradient.compiled", CACHE_SIZE)  # compiled gradient functions by structure


def _value(x):
    return x._value if isinstance(x, Tensor) else x


def _eager_only(key):
    return any(getattr(fn, "eager_only", False) for fn, *_ in key[0])


def _entry(kind, p, extra, build, n_values=0):
    """The built function for plan ``p`` (cached by structure unless eager-only)."""
    key = (kind, extra, p.key)
    entry = CACHE.lookup(key)
    if entry is not None:
        return entry
    eager = _eager_only(p.key)

    def make():
        return _Compiled(build(p.key), len(p.sources), len(p.consts), extra, n_values, eager)
    return make() if eager else CACHE.get(key, make)


def _run(entry, p, extra_tensors, targets=()):
    """Calls ``entry`` and records the call on the tapes watching its inputs; ``targets`` (the
    plan's connected targets) take the values ``entry`` returns after its results if pending."""
    args = [_value(x) for x in p.sources], [_value(x) for x in p.consts]
    if entry.with_extra:
        args += ([_value(c) for c in extra_tensors],)
    out = entry.call(*args)
    n = len(out) - entry.n_values
    results = tuple([Tensor(g) for g in out[:n]])
    if entry.n_values and any(type(t) is _lazy.LazyTensor for t in targets):
        _lazy.set_values(targets, out[n:])
    inputs = tuple(p.sources) + tuple(p.consts) + tuple(extra_tensors or ())
    if entry.output_deps is None and not entry.eager_only and _watched(inputs):
        deps = _second_order.dependence(jax.make_jaxpr(entry.call)(*args).jaxpr)
        entry.output_deps = tuple(deps[:n])
    record(entry, (), inputs, results, True)
    return results


def _watched(inputs):
    return any(id(x) in tape.watched for tape in STACK.tapes for x in inputs)


def compute(tape, targets, source_groups, cotangents=None, mode="gradient", chunk=None,
            rows=True):
    """Runs a gradient or Jacobian of ``targets`` w.r.t. ``source_groups``.

    Returns one entry per group: a Tensor, or ``None`` when the group is unconnected. The call
    is recorded on every tape that watches its inputs, so higher-order derivatives compose.
    Targets left pending by lazy recording get their values from the same compiled call.
    With ``rows``, a gradient of a group read only by row gathers is ``Rows`` (TF's
    ``IndexedSlices``).
    """
    reads = _row_reads(tape, targets, source_groups) if rows and mode == "gradient" else None
    if reads is not None:
        return _row_gradients(tape, targets, source_groups, cotangents, reads)
    p = plan(tape, targets, source_groups)
    if not p.targets or not any(p.groups):
        return [None] * len(source_groups)
    with_cot = cotangents is not None
    if with_cot:
        cotangents = [cotangents[k] for k in p.target_index]
    if mode == "gradient":
        entry = _entry("gradient", p, with_cot, lambda key: _build_gradient(key, with_cot),
                       len(p.targets))
    else:
        batched = mode == "batch_jacobian"
        entry = _entry((mode, chunk), p, False,
                       lambda key: _build_jacobian(key, batched, chunk))
    it = iter(_run(entry, p, cotangents, [targets[k] for k in p.target_index]))
    results = [next(it) if group else None for group in p.groups]
    _lazy.next_generation()
    if entry.eager_only:  # a custom gradient may have answered None for some inputs
        for k, group in enumerate(plan(tape, targets, source_groups, honor_none=True).groups):
            if not group:
                results[k] = None
    return results


class Rows(NamedTuple):
    """The gradient of a source read only by row gathers (TF's ``IndexedSlices``): per gather,
    in the order TF's backward pass meets them, its output's gradient and its indices."""

    values: list  # Tensors, the gradients of the gathered rows
    indices: list  # the gathers' indices
    dense_shape: tuple  # the source's shape
    dtype: object  # the source's dtype (the values', cast back through TF's Cast)


_ROW_READS = Cache("gradient.row_reads", 512)


def _row_reads(tape, targets, source_groups):
    """``_graph.row_reads`` for these values (None when no group is read by rows only)."""
    structure = tape.structure
    if not any(getattr(entry[0], "row_gather", False) for entry in structure):
        return None
    producer, leaf_index = tape.producer, tape.leaf_index

    def codes(values):
        found = [producer.get(id(x), leaf_index.get(id(x))) for x in values]
        return tuple(c for c in found if c is not None)
    target_codes = codes(targets)
    group_codes = tuple(codes(group) for group in source_groups)
    if not target_codes or not any(group_codes):
        return None
    key = (tuple(structure), target_codes, group_codes)
    reads = _ROW_READS.get(key, lambda: _graph.row_reads(*key))
    return reads if any(r is not None for r in reads) else None


def _row_gradients(tape, targets, source_groups, cotangents, reads):
    """Gradients where groups read by rows only ask for the gradients of the gathered rows
    (each gather output is a source of its own) and give ``Rows``."""
    values, leaves = tape.values, tape.leaves

    def find(c):
        return values[c] if c >= 0 else leaves[-c - 1]
    asked = []
    for group, rows in zip(source_groups, reads):
        asked.extend([group] if rows is None else [[values[out]] for out, _, _ in rows])
    found = iter(compute(tape, targets, asked, cotangents, rows=False))
    results = []
    for group, rows in zip(source_groups, reads):
        if rows is None:
            results.append(next(found))
            continue
        grads = []
        for out, _, _ in rows:
            g = next(found)
            grads.append(Tensor(jnp.zeros_like(_value(values[out]))) if g is None else g)
        results.append(Rows(grads, [find(i) for _, _, i in rows],
                            tuple(find(rows[0][1]).shape), group[0].dtype))
    return results


def forward(tape, targets, source_groups, tangents):
    """Jacobian-vector products of ``targets`` (``jax.jvp`` of the same replay).

    ``tangents`` holds one Tensor per source group. Returns one entry per target.
    """
    p = plan(tape, targets, source_groups)
    connected = [k for k, group in enumerate(p.groups) if group]
    if not p.targets or not connected:
        return [None] * len(targets)
    slot_tangents = [None] * len(p.sources)
    for group, tangent in zip(p.groups, tangents):
        for s in group:
            slot_tangents[s] = tangent
    entry = _entry("jvp", p, True, _build_jvp)
    it = iter(_run(entry, p, [t for t in slot_tangents if t is not None]))
    found = dict(zip(p.target_index, it))
    return [found.get(k) for k in range(len(targets))]
