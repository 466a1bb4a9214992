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
    """Selects and wires the nodes of ``tape`` between ``source_groups`` and ``targets``.

    As in TF, a source that is itself computed from other sources does not cut the graph: its
    value is recomputed and a zero is added to it, whose cotangent is the gradient it asks for.
    """
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
        if i in seen:
            continue
        seen.add(i)
        where = producer.get(i)
        if where is not None and where[0] not in needed:
            needed.add(where[0])
            stack.extend(id(x) for x in nodes[where[0]].inputs)
    ref = dict(slot)
    live = set(slot)
    injected = {}  # source slot -> env position of the recorded value it names
    used = set()  # env positions read by a kept node or a target
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
            else:
                used.add(r)
            in_refs.append(r)
        injects = []
        for k, out in enumerate(node.outputs):
            live.add(id(out))
            s = slot.get(id(out))
            if s is not None and s not in injected:
                injected[s] = position
                injects.append((k, s))
            ref[id(out)] = position
            position += 1
        wiring.append((node.fn, node.static, tuple(in_refs), node.multi, tuple(injects)))
    target_refs, target_index = [], []
    for k, t in enumerate(targets):
        r = ref.get(id(t))
        if r is not None:
            target_refs.append(r)
            target_index.append(k)
            used.add(r)
    connected = {s for s in range(len(sources)) if injected.get(s, s) in used}
    groups = tuple(tuple(slot[id(t)] for t in group if slot[id(t)] in connected)
                   for group in source_groups)
    key = (tuple(wiring), len(sources), len(captured), groups, tuple(target_refs))
    return Plan(key, sources, captured, groups, tuple(target_refs), tuple(target_index))


def _replay_fn(wiring, target_refs):
    """The recorded computation as a pure function of (source values, captured values).

    Also returns the primals to differentiate at: a source that names a recomputed value enters
    as a zero added to that value.
    """
    zeroed = {s for *_, injects in wiring for _, s in injects}

    def primals(source_values):
        return [jnp.zeros_like(v) if s in zeroed else v for s, v in enumerate(source_values)]

    def replay(source_values, captured_values):
        env = list(source_values)
        sources = env[:]
        for fn, static, in_refs, multi, injects in wiring:
            args = [env[r] if r >= 0 else captured_values[-r - 1] for r in in_refs]
            out = fn(*args, **dict(static))
            start = len(env)
            if multi:
                env.extend(out)
            else:
                env.append(out)
            for k, s in injects:
                env[start + k] = env[start + k] + sources[s]
        return [env[r] for r in target_refs]
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
    wiring, _, _, groups, target_refs = key
    replay, primals = _replay_fn(wiring, target_refs)

    def gradient(source_values, captured_values, cotangents=None):
        outs, pullback = jax.vjp(lambda s: replay(s, captured_values), primals(source_values))
        if not with_cotangents:
            cotangents = [jnp.ones_like(y) for y in outs]
        (grads,) = pullback(list(cotangents))
        return _group_sums(grads, groups)
    return gradient


def _build_jacobian(key, batched, chunk):
    wiring, _, _, groups, target_refs = key
    replay, primals = _replay_fn(wiring, target_refs)

    def jacobian(source_values, captured_values):
        (y,), pullback = jax.vjp(lambda s: replay(s, captured_values), primals(source_values))
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

    def get(self, key, build):
        entry = self.entries.get(key)
        if entry is not None:
            self.hits += 1
            self.entries.move_to_end(key)
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
