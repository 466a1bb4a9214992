"""Gradients by replay: recorded nodes -> one pure function -> ``jax.vjp``, compiled and cached.

``plan`` selects the nodes that lie on a path from the sources to the targets and writes the
wiring as integers (sources ``0..S-1``, node outputs ``S..``, captured constants ``-1, -2, ..``),
so two steps of a training loop that record the same structure give the same key. The key picks
a cached ``jax.jit`` function; values are always arguments, never baked in.
"""
import collections
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._recording import record
from .tensor import Tensor

CACHE_SIZE = 512


class Plan(NamedTuple):
    key: tuple  # structure only: nodes, wiring, group layout, target refs
    sources: list  # source Tensors, one per slot
    captured: list  # Tensors / Python constants fed as arguments
    groups: tuple  # per requested source: tuple of slots (empty: unconnected)
    targets: tuple  # refs of the connected targets
    target_index: tuple  # which of the caller's targets those are


def plan(tape, targets, source_groups):
    """Selects and wires the nodes of ``tape`` between ``source_groups`` and ``targets``."""
    slot = {}
    sources = []
    for group in source_groups:
        for t in group:
            if id(t) not in slot:
                slot[id(t)] = len(sources)
                sources.append(t)
    nodes, producer = tape.nodes, tape.producer
    needed, seen = set(), set()
    stack = [id(t) for t in targets]
    while stack:
        i = stack.pop()
        if i in seen or i in slot:
            continue
        seen.add(i)
        where = producer.get(i)
        if where is not None and where[0] not in needed:
            needed.add(where[0])
            stack.extend(id(x) for x in nodes[where[0]].inputs)
    ref = dict((i, s) for i, s in slot.items())
    live = set(slot)
    used = set()
    captured, cap_ref, wiring = [], {}, []
    position = len(sources)
    for n in sorted(needed):
        node = nodes[n]
        if not any(id(x) in live for x in node.inputs):
            continue
        in_refs = []
        for x in node.inputs:
            r = ref.get(id(x))
            if r is None:
                r = cap_ref.get(id(x))
                if r is None:
                    r = cap_ref[id(x)] = -len(captured) - 1
                    captured.append(x)
            elif r < len(sources):
                used.add(r)
            in_refs.append(r)
        wiring.append((node.fn, node.static, tuple(in_refs), node.multi))
        for out in node.outputs:
            live.add(id(out))
            ref.setdefault(id(out), position)
            position += 1
    target_refs, target_index = [], []
    for k, t in enumerate(targets):
        r = ref.get(id(t))
        if r is not None:
            target_refs.append(r)
            target_index.append(k)
            if r < len(sources):
                used.add(r)
    groups = tuple(tuple(slot[id(t)] for t in group if slot[id(t)] in used)
                   for group in source_groups)
    key = (tuple(wiring), len(sources), len(captured), groups, tuple(target_refs))
    return Plan(key, sources, captured, groups, tuple(target_refs), tuple(target_index))


def _replay_fn(wiring, n_sources, target_refs):
    def replay(source_values, captured_values):
        env = list(source_values)
        for fn, static, in_refs, multi in wiring:
            args = [env[r] if r >= 0 else captured_values[-r - 1] for r in in_refs]
            out = fn(*args, **dict(static))
            if multi:
                env.extend(out)
            else:
                env.append(out)
        return [env[r] for r in target_refs]
    return replay


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
    wiring, n_sources, _, groups, target_refs = key
    replay = _replay_fn(wiring, n_sources, target_refs)

    def gradient(source_values, captured_values, cotangents=None):
        outs, pullback = jax.vjp(lambda s: replay(s, captured_values), list(source_values))
        if not with_cotangents:
            cotangents = [jnp.ones_like(y) for y in outs]
        (grads,) = pullback(list(cotangents))
        return _group_sums(grads, groups)
    return gradient


def _build_jacobian(key, batched, chunk):
    wiring, n_sources, _, groups, target_refs = key
    replay = _replay_fn(wiring, n_sources, target_refs)

    def jacobian(source_values, captured_values):
        (y,), pullback = jax.vjp(lambda s: replay(s, captured_values), list(source_values))
        if batched:
            rows = y.size // y.shape[0]
            eye = jnp.eye(rows, dtype=y.dtype)[:, None, :]
            basis = jnp.broadcast_to(eye, (rows, y.shape[0], rows)).reshape((rows,) + y.shape)
        else:
            basis = jnp.eye(y.size, dtype=y.dtype).reshape((y.size,) + y.shape)
        pull = lambda c: _group_sums(pullback([c])[0], groups)  # noqa: E731
        if chunk:
            columns = jax.lax.map(pull, basis, batch_size=chunk)
        else:
            columns = jax.vmap(pull)(basis)
        out = []
        for col, group in zip(columns, [g for g in groups if g]):
            x_shape = source_values[group[0]].shape
            if batched:
                col = jnp.moveaxis(col, 0, 1).reshape(y.shape + x_shape[1:])
            else:
                col = col.reshape(y.shape + x_shape)
            out.append(col)
        return tuple(out)
    return jacobian


class _Compiled:
    """A cached compiled gradient; ``flat`` is its form as a recordable node function."""

    __slots__ = ("call", "n_sources", "n_captured", "with_cotangents", "__weakref__")

    def __init__(self, fn, n_sources, n_captured, with_cotangents=False):
        self.call = jax.jit(fn)
        self.n_sources = n_sources
        self.n_captured = n_captured
        self.with_cotangents = with_cotangents

    def flat(self, *values):
        s, c = self.n_sources, self.n_captured
        args = (values[:s], values[s:s + c]) + ((values[s + c:],) if self.with_cotangents else ())
        return self.call(*args)


class _Cache:
    """LRU of compiled gradient functions keyed by structure, with hit/miss counts."""

    def __init__(self, size):
        self.size = size
        self.entries = collections.OrderedDict()
        self.hits = self.misses = 0

    def lookup(self, key):
        """The entry for ``key`` (now the most recent), or None."""
        entry = self.entries.get(key)
        if entry is not None:
            self.hits += 1
            try:
                self.entries.move_to_end(key)
            except KeyError:  # evicted by another thread meanwhile: the entry is still good
                pass
        return entry

    def get(self, key, build):
        entry = self.lookup(key)
        if entry is not None:
            return entry
        self.misses += 1
        entry = self.entries[key] = build()
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return entry

    def info(self):
        return {"hits": self.hits, "misses": self.misses, "size": len(self.entries),
                "maxsize": self.size}

    def clear(self):
        self.entries.clear()
        self.hits = self.misses = 0


CACHE = _Cache(CACHE_SIZE)


def _value(x):
    return x._value if type(x) is Tensor else x


def compute(tape, targets, source_groups, cotangents=None, mode="gradient", chunk=None):
    """Runs a gradient or Jacobian of ``targets`` w.r.t. ``source_groups``.

    Returns one entry per group: a Tensor, or ``None`` when the group is unconnected.
    """
    p = plan(tape, targets, source_groups)
    if not p.targets or not any(p.groups):
        return [None] * len(source_groups)
    with_cot = cotangents is not None
    if with_cot:
        cotangents = [cotangents[k] for k in p.target_index]
    if mode == "gradient":
        entry = CACHE.get(("gradient", with_cot, p.key), lambda: _Compiled(
            _build_gradient(p.key, with_cot), len(p.sources), len(p.captured), with_cot))
    else:
        batched = mode == "batch_jacobian"
        entry = CACHE.get((mode, chunk, p.key), lambda: _Compiled(
            _build_jacobian(p.key, batched, chunk), len(p.sources), len(p.captured)))
    args = [_value(x) for x in p.sources], [_value(x) for x in p.captured]
    if with_cot:
        args += ([_value(c) for c in cotangents],)
    results = [Tensor(g) for g in entry.call(*args)]
    inputs = tuple(p.sources) + tuple(p.captured) + (tuple(cotangents) if with_cot else ())
    record(entry.flat, (), inputs, tuple(results), True)
    it = iter(results)
    return [next(it) if group else None for group in p.groups]


def zeros_for(source):
    return Tensor(jnp.zeros(source.shape, np.dtype(source.dtype.as_numpy_dtype)))
