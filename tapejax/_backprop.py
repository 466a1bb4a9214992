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

from . import _lazy, _second_order
from ._recording import STACK, record
from .tensor import Tensor

CACHE_SIZE = 512


class Plan(NamedTuple):
    key: tuple  # structure only: nodes, wiring, group layout, target refs
    sources: list  # source Tensors, one per slot
    captured: list  # Tensors / Python constants fed as arguments
    groups: tuple  # per requested source: tuple of slots (empty: unconnected)
    targets: tuple  # refs of the connected targets
    target_index: tuple  # which of the caller's targets those are


_TEMPLATES = collections.OrderedDict()  # (tape structure, target/source codes) -> plan codes
_TEMPLATES_LIMIT = 512


def plan(tape, targets, source_groups, honor_none=False):
    """``_full_plan``, reused: two tapes that recorded the same structure (the steps of a loop)
    get the same plan, with their own Tensors put in. Tensors are named by codes: ``(node,
    output)`` for a recorded output, ``n >= 0`` for the tape's n-th leaf input, ``-n`` for the
    n-th other object of this call."""
    structure = getattr(tape, "structure", None)
    if not structure:
        return _full_plan(tape, targets, source_groups, honor_none)
    producer, leaf_index, others, other_code = tape.producer, tape.leaf_index, [], {}

    def code(x):
        c = producer.get(id(x))
        if c is None:
            c = leaf_index.get(id(x))
            if c is None:
                c = other_code.get(id(x))
                if c is None:
                    others.append(x)
                    c = other_code[id(x)] = -len(others)
        return c
    key = (tuple(structure), tuple([code(t) for t in targets]),
           tuple([tuple([code(s) for s in group]) for group in source_groups]), honor_none)
    template = _TEMPLATES.get(key)
    if template is None:
        p = _full_plan(tape, targets, source_groups, honor_none)
        template = _TEMPLATES[key] = (p.key, tuple([code(x) for x in p.sources]),
                                      tuple([code(x) for x in p.captured]), p.groups,
                                      p.targets, p.target_index)
        if len(_TEMPLATES) > _TEMPLATES_LIMIT:
            _TEMPLATES.popitem(last=False)
        return p
    nodes, leaves = tape.nodes, tape.leaves

    def find(c):
        if type(c) is tuple:
            return nodes[c[0]].outputs[c[1]]
        return leaves[c] if c >= 0 else others[-c - 1]
    plan_key, source_codes, captured_codes, groups, target_refs, target_index = template
    return Plan(plan_key, [find(c) for c in source_codes], [find(c) for c in captured_codes],
                groups, target_refs, target_index)


def _full_plan(tape, targets, source_groups, honor_none=False):
    """Selects and wires the nodes of ``tape`` between ``source_groups`` and ``targets``.

    As in TF, a source that is itself computed from other sources does not cut the graph: its
    value is recomputed and a zero is added to it, whose cotangent is the gradient it asks for.
    With ``honor_none``, inputs for which a custom gradient returned ``None`` (a node function's
    ``none_inputs``) do not connect.
    """
    slot = {}
    sources = []
    for group in source_groups:
        for t in group:
            if id(t) not in slot:
                slot[id(t)] = len(sources)
                sources.append(t)
    nodes, producer = tape.nodes, tape.producer
    needed, wanted = set(), set()  # nodes, and ids of their outputs, that reach a target
    stack = [id(t) for t in targets]
    while stack:
        i = stack.pop()
        if i in wanted:
            continue
        wanted.add(i)
        where = producer.get(i)
        if where is not None:
            node = nodes[where[0]]
            needed.add(where[0])
            deps = _output_deps(node)
            stack.extend(id(x) for k, x in enumerate(node.inputs)
                         if deps is None or k in deps[where[1]])
    ref = dict(slot)
    live = set(slot)
    injected = {}  # source slot -> env position of the recorded value it names
    used = set()  # env positions on a path from a source to a target
    captured, cap_ref, wiring = [], {}, []
    position = len(sources)
    for n in sorted(needed):
        node = nodes[n]
        cut = getattr(node.fn, "none_inputs", ()) if honor_none else ()
        live_in = {k for k, x in enumerate(node.inputs) if id(x) in live and k not in cut}
        deps = _output_deps(node)
        live_out = [k for k in range(len(node.outputs))
                    if live_in and (deps is None or live_in & deps[k])]
        if not live_out:
            continue
        reaching = set()  # live inputs a wanted live output depends on
        for k in live_out:
            if id(node.outputs[k]) in wanted:
                reaching |= live_in if deps is None else live_in & deps[k]
        in_refs = []
        for k, x in enumerate(node.inputs):
            r = ref.get(id(x))
            if r is None:
                r = cap_ref.get(id(x))
                if r is None:
                    r = cap_ref[id(x)] = -len(captured) - 1
                    captured.append(x)
            elif k in reaching:
                used.add(r)
            in_refs.append(r)
        injects = []
        for k, out in enumerate(node.outputs):
            if k in live_out:
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
        if r is not None and id(t) in live:
            target_refs.append(r)
            target_index.append(k)
            used.add(r)
    connected = {s for s in range(len(sources)) if injected.get(s, s) in used}
    groups = tuple(tuple(slot[id(t)] for t in group if slot[id(t)] in connected)
                   for group in source_groups)
    key = (tuple(wiring), len(sources), len(captured), groups, tuple(target_refs))
    return Plan(key, sources, captured, groups, tuple(target_refs), tuple(target_index))


def _output_deps(node):
    """Per output of ``node``, the input positions it depends on (None: all of them). A
    recorded derivative knows it from its jaxpr: a gradient that does not depend on an input
    leaves that input unconnected for the tapes around it (TF's second-order ``None``)."""
    return getattr(node.fn, "output_deps", None)


def _replay_fn(wiring, target_refs, forward_mode=False):
    """The recorded computation as a pure function of (source values, captured values).

    Also returns the primals to differentiate at: a source that names a recomputed value enters
    as a zero added to that value. In forward mode a node function may offer a ``forward_mode``
    variant (JAX cannot run ``jax.jvp`` through a ``custom_vjp``).
    """
    zeroed = {s for *_, injects in wiring for _, s in injects}

    def primals(source_values):
        return [jnp.zeros_like(v) if s in zeroed else v for s, v in enumerate(source_values)]

    def replay(source_values, captured_values):
        env = list(source_values)
        sources = env[:]
        for fn, static, in_refs, multi, injects in wiring:
            if forward_mode:
                fn = getattr(fn, "forward_mode", fn)
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
    """The gradient function of a plan. It also returns the targets' values, which the
    forward pass computes anyway: targets that lazy recording left pending take them."""
    wiring, _, _, groups, target_refs = key
    replay, primals = _replay_fn(wiring, target_refs)

    def gradient(source_values, captured_values, cotangents=None):
        outs, pullback = jax.vjp(lambda s: replay(s, captured_values), primals(source_values))
        if not with_cotangents:
            cotangents = [jnp.ones_like(y) for y in outs]
        (grads,) = pullback(list(cotangents))
        return _group_sums(grads, groups) + tuple(outs)
    return gradient


def _build_jvp(key):
    wiring, _, _, groups, target_refs = key
    replay, primals = _replay_fn(wiring, target_refs, forward_mode=True)
    with_tangent = sorted(s for group in groups for s in group)

    def jvp(source_values, captured_values, tangents):
        given = dict(zip(with_tangent, tangents))
        tangent_in = [given[s] if s in given else jnp.zeros_like(v)
                      for s, v in enumerate(source_values)]
        _, out = jax.jvp(lambda s: replay(s, captured_values), (primals(source_values),),
                         (tangent_in,))
        return tuple(out)
    return jvp


def _build_jacobian(key, batched, chunk):
    wiring, _, _, groups, target_refs = key
    replay, primals = _replay_fn(wiring, target_refs)

    def jacobian(source_values, captured_values):
        (y,), pullback = jax.vjp(lambda s: replay(s, captured_values), primals(source_values))
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
                col = jnp.moveaxis(col, 0, 1).reshape(y.shape + x_shape[1:])
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

    __slots__ = ("call", "n_sources", "n_captured", "with_extra", "n_values", "eager_only",
                 "output_deps", "__weakref__")

    def __init__(self, fn, n_sources, n_captured, with_extra, n_values, eager_only):
        self.call = fn if eager_only else jax.jit(fn)
        self.n_sources = n_sources
        self.n_captured = n_captured
        self.with_extra = with_extra
        self.n_values = n_values  # trailing outputs of ``call``: the targets' values
        self.eager_only = eager_only
        self.output_deps = None  # set by ``_run`` before the call is first recorded

    def __call__(self, *values):
        s, c = self.n_sources, self.n_captured
        args = (values[:s], values[s:s + c]) + ((values[s + c:],) if self.with_extra else ())
        out = self.call(*args)
        return out[:len(out) - self.n_values] if self.n_values else out


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
        return _Compiled(build(p.key), len(p.sources), len(p.captured), extra, n_values, eager)
    return make() if eager else CACHE.get(key, make)


def _run(entry, p, extra_tensors, targets=()):
    """Calls ``entry`` and records the call on the tapes watching its inputs; ``targets`` (the
    plan's connected targets) take the values ``entry`` returns after its results if pending."""
    args = [_value(x) for x in p.sources], [_value(x) for x in p.captured]
    if entry.with_extra:
        args += ([_value(c) for c in extra_tensors],)
    out = entry.call(*args)
    n = len(out) - entry.n_values
    results = tuple([Tensor(g) for g in out[:n]])
    if entry.n_values and any(type(t) is _lazy.LazyTensor for t in targets):
        _lazy.set_values(targets, out[n:])
    inputs = tuple(p.sources) + tuple(p.captured) + tuple(extra_tensors or ())
    if entry.output_deps is None and not entry.eager_only and _watched(inputs):
        deps = _jaxpr_deps(jax.make_jaxpr(entry.call)(*args).jaxpr)
        entry.output_deps = tuple(deps[:n])
    record(entry, (), inputs, results, True)
    return results


def _watched(inputs):
    return any(id(x) in tape.watched for tape in STACK.tapes for x in inputs)


def _jaxpr_deps(jaxpr, in_deps=None, connecting=False):
    """Per output of ``jaxpr``, the set of input positions it depends on, not through ops TF
    gives no gradient (``floor``, ``ceil``, ``round``) nor through comparisons (boolean
    results), which TF's gradients of ``maximum``, ``reduce_max``, ... select on, except in
    ops declared ``comparisons_connect`` (``relu``: TF's ``ReluGradGrad``). Nested ``jit``
    calls are followed; any other equation's outputs depend on all its inputs."""
    if in_deps is None:
        in_deps = [frozenset([k]) for k in range(len(jaxpr.invars))]
    env = dict(zip(jaxpr.invars, in_deps))

    def read(v):
        return _NOTHING if isinstance(v, jax.extend.core.Literal) else env.get(v, _NOTHING)
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in _NOT_DIFFERENTIABLE:
            continue
        connects = connecting or _second_order.connects(eqn)
        if not connects and all(_boolean(v) for v in eqn.outvars):
            continue
        ins = [read(v) for v in eqn.invars]
        inner = eqn.params.get("jaxpr")
        inner = getattr(inner, "jaxpr", inner)
        if isinstance(inner, jax.extend.core.Jaxpr) and len(inner.invars) == len(ins) \
                and len(inner.outvars) == len(eqn.outvars):
            outs = _jaxpr_deps(inner, ins, connects)
        else:
            outs = [frozenset().union(*ins)] * len(eqn.outvars)
        env.update(zip(eqn.outvars, outs))
    return [read(v) for v in jaxpr.outvars]


def _boolean(v):
    return v.aval.dtype == jnp.bool_


_NOTHING = frozenset()
_NOT_DIFFERENTIABLE = {"floor", "ceil", "round", "stop_gradient"}


def compute(tape, targets, source_groups, cotangents=None, mode="gradient", chunk=None):
    """Runs a gradient or Jacobian of ``targets`` w.r.t. ``source_groups``.

    Returns one entry per group: a Tensor, or ``None`` when the group is unconnected. The call
    is recorded on every tape that watches its inputs, so higher-order derivatives compose.
    Targets left pending by lazy recording get their values from the same compiled call.
    """
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
