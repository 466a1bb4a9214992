"""The graph core: select recorded nodes, wire them, replay them as one pure function.

Both users of recorded nodes go through here: ``_backprop`` (a tape's nodes between sources and
targets, replayed under ``jax.vjp``/``jax.jvp``) and ``_lazy`` (the pending ops behind the values
being computed, replayed under ``jax.jit``). The model is autograd's ``toposort`` plus its
``backward_pass``: a walk back from the wanted values, then one loop over the nodes in order.

One encoding names values everywhere, as plain integers, so that two recordings of the same
structure (the steps of a training loop) give the same keys: a ref ``r >= 0`` is the ``r``-th
value of the environment (the graph's arguments, then every output of every node in order), and
``r < 0`` is constant ``-r - 1`` (a value the graph reads but does not compute). A tape names its
recorded values the same way (``TapeState.structure``): its environment is the outputs of its
nodes, its constants are its leaves (inputs it did not produce), then anything else a call names.
"""
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")
_tuple_new = tuple.__new__  # builds a Step without NamedTuple's Python-level __new__


class Step(NamedTuple):
    """One wired node: ``fn(*inputs, **dict(static))`` with its inputs given as refs."""

    fn: Callable[..., Any]
    static: tuple[tuple[str, Any], ...]  # sorted (name, value) pairs: part of every cache key
    refs: tuple[int, ...]
    multi: int | None  # fn returns a tuple of this many arrays (None: one array, no tuple)


def reachable(starts: Iterable[T], parents: Callable[[T], Iterable[T]],
              key: Callable[[T], Hashable] | None = None) -> dict[Hashable, T]:
    """Everything reachable from ``starts`` through ``parents``, each once (by ``key``, or by
    the item itself), in the order found: the walk of autograd's ``toposort``."""
    found: dict[Hashable, T] = {}
    stack = list(starts)
    while stack:
        item = stack.pop()
        k = item if key is None else key(item)
        if k not in found:
            found[k] = item
            stack.extend(parents(item))
    return found


class Wiring:
    """Builds the steps of a replay, numbering values in the one encoding. Values are known by
    hashable keys (a code, an ``id``); a value first met as an input is a constant."""

    __slots__ = ("steps", "consts", "ref", "size")

    def __init__(self, args: Sequence[Hashable] = ()) -> None:
        self.steps: list[Step] = []
        self.consts: list[Any] = []  # per constant ref, what the caller said it is
        self.ref: dict[Hashable, int] = {a: k for k, a in enumerate(args)}
        self.size = len(args)  # values in the environment so far

    def input(self, key: Hashable, const: Any) -> int:
        """The ref of the value known as ``key``; a new constant (``const``) when unknown."""
        r = self.ref.get(key)
        if r is None:
            r = self.ref[key] = -len(self.consts) - 1
            self.consts.append(const)
        return r

    def node(self, fn: Callable[..., Any], static: tuple[tuple[str, Any], ...],
             refs: Sequence[int], multi: int | None, outputs: Iterable[Hashable]) -> int:
        """Appends a step whose outputs are known as ``outputs``; returns the first one's ref."""
        first = r = self.size
        self.steps.append(_tuple_new(Step, (fn, static, tuple(refs), multi)))
        ref = self.ref
        for key in outputs:
            ref[key] = r
            r += 1
        self.size = r
        return first


def replay(steps: Sequence[Step], wanted: Sequence[int], args: Sequence[Any],
           consts: Sequence[Any], injects: Sequence[tuple[int, int]] = (),
           forward_mode: bool = False) -> list[Any]:
    """Runs ``steps`` on ``args`` and ``consts``; returns the values ``wanted`` names.

    ``injects`` holds ``(ref, argument)`` pairs: that argument is added to the value the step
    computes (a source that does not cut the graph enters as a zero added to its value). In
    ``forward_mode`` a node function may offer a ``forward_mode`` variant (JAX cannot run
    ``jax.jvp`` through a ``custom_vjp``).
    """
    env = list(args)
    added = dict(injects)
    for fn, static, refs, multi in steps:
        if forward_mode:
            fn = getattr(fn, "forward_mode", fn)
        inputs = [env[r] if r >= 0 else consts[-r - 1] for r in refs]
        out = fn(*inputs, **dict(static)) if static else fn(*inputs)
        first = len(env)
        if multi is None:
            env.append(out)
        else:
            env.extend(out)
        if added:
            for r in range(first, len(env)):
                if r in added:
                    env[r] = env[r] + args[added[r]]
    return [env[r] for r in wanted]


# --- selecting a tape's nodes -------------------------------------------------------------
class Selection(NamedTuple):
    """The part of a tape between sources and targets, in codes (the tape's refs)."""

    key: tuple  # structure only: steps, injects, argument and constant counts, groups, targets
    sources: tuple[int, ...]  # codes of the replay's arguments, one per source slot
    consts: tuple[int, ...]  # codes of its constants
    groups: tuple[tuple[int, ...], ...]  # per requested source: its connected slots
    targets: tuple[int, ...]  # refs of the connected targets
    target_index: tuple[int, ...]  # which of the requested targets those are


def n_outputs(multi: int | None) -> int:
    return 1 if multi is None else multi


def outputs_of(structure: Sequence[tuple]) -> list[tuple[int, int]]:
    """Per ref of a tape's environment, the (node, output) it is."""
    return [(n, k) for n, entry in enumerate(structure) for k in range(n_outputs(entry[3]))]


def output_deps(fn: object) -> tuple | None:
    """Per output of a node function, the input positions it depends on (None: all of them).
    A recorded derivative knows it from its jaxpr: a gradient that does not depend on an
    input leaves that input unconnected for the tapes around it (TF's second-order ``None``)."""
    return getattr(fn, "output_deps", None)


def _reaching(structure: Sequence[tuple], made: list[tuple[int, int]],
              targets: Sequence[int]) -> dict[Hashable, int]:
    """The codes of the values a target is computed from, through floating outputs and the
    inputs each output depends on."""
    def parents(c: int) -> list[int]:
        if c < 0:
            return []
        n, k = made[c]
        fn, _, codes, _, floats = structure[n]
        if k not in floats:
            return []
        deps = output_deps(fn)
        return [x for i, x in enumerate(codes) if deps is None or i in deps[k]]
    return reachable(targets, parents)


def select(structure: Sequence[tuple], targets: Sequence[int],
           source_groups: Sequence[Sequence[int]], honor_none: bool = False) -> Selection:
    """Selects and wires the nodes of a tape (its ``structure``) between the values coded
    ``source_groups`` and ``targets``.

    As in TF, a source that is itself computed from other sources does not cut the graph: its
    value is recomputed and a zero is added to it, whose cotangent is the gradient it asks for.
    With ``honor_none``, inputs for which a custom gradient returned ``None`` (a node function's
    ``none_inputs``) do not connect. Only floating outputs (``floats``) are differentiated
    through; an integer output of a selected node is still read from the replay.
    """
    made = outputs_of(structure)
    slot: dict[int, int] = {}
    for group in source_groups:
        for c in group:
            slot.setdefault(c, len(slot))
    wanted = _reaching(structure, made, targets)  # codes of the values that reach a target
    needed = sorted({n for n, k in (made[c] for c in wanted.values() if c >= 0)
                     if k in structure[n][4]})
    wiring = Wiring(list(slot))
    live = set(slot)
    injected: dict[int, int] = {}  # source slot -> ref of the recomputed value it names
    used: set[int] = set()  # refs on a path from a source to a target
    first = [0]  # per node, the ref of its first output
    for entry in structure:
        first.append(first[-1] + n_outputs(entry[3]))
    for n in needed:
        fn, static, codes, multi, _ = structure[n]
        cut = getattr(fn, "none_inputs", ()) if honor_none else ()
        live_in = {i for i, x in enumerate(codes) if x in live and i not in cut}
        deps = output_deps(fn)
        live_out = [k for k in range(n_outputs(multi))
                    if live_in and (deps is None or live_in & deps[k])]
        if not live_out:
            continue
        reaching: set[int] = set()  # live inputs a wanted live output depends on
        for k in live_out:
            if first[n] + k in wanted:
                reaching |= live_in if deps is None else live_in & deps[k]
        refs = []
        for i, x in enumerate(codes):
            r = wiring.input(x, x)
            if r >= 0 and i in reaching:
                used.add(r)
            refs.append(r)
        outputs = range(first[n], first[n + 1])
        live.update(c for k, c in enumerate(outputs) if k in live_out)
        start = wiring.size
        for k, c in enumerate(outputs):
            s = slot.get(c)
            if s is not None and s not in injected:
                injected[s] = start + k
        wiring.node(fn, static, refs, multi, outputs)
    target_refs, target_index = [], []
    for k, t in enumerate(targets):
        ref = wiring.ref.get(t)
        if ref is not None and ref >= 0 and t in live:
            target_refs.append(ref)
            target_index.append(k)
            used.add(ref)
    connected = {s for s in range(len(slot)) if injected.get(s, s) in used}
    groups = tuple(tuple(slot[c] for c in group if slot[c] in connected)
                   for group in source_groups)
    injects = tuple(sorted((r, s) for s, r in injected.items()))
    key = (tuple(wiring.steps), injects, len(slot), len(wiring.consts), groups,
           tuple(target_refs))
    return Selection(key, tuple(slot), tuple(wiring.consts), groups, tuple(target_refs),
                     tuple(target_index))


# --- reads of rows: TF's IndexedSlices gradients ------------------------------------------
def row_gather(fn: object, static: tuple[tuple[str, Any], ...]) -> bool:
    """Whether a node reads rows of its first input (``gather`` at axis 0 without batch
    dimensions: TF's gradient of its params is then an ``IndexedSlices``)."""
    return getattr(fn, "row_gather", False) and dict(static) == {"axis": 0, "batch_dims": 0}


def row_reads(structure: Sequence[tuple], targets: Sequence[int],
              source_groups: Sequence[Sequence[int]]
              ) -> tuple[tuple[tuple[int, int, int], ...] | None, ...]:
    """Per source group: when every use of its values on the way to a target is a row gather
    (``row_gather``), possibly through ops that pass TF's slices on (``row_passthrough``:
    Identity, Cast), and none is a target itself: the codes of those gathers' (output, params,
    indices), in the order TF's backward pass meets them (its gradients are then concatenated
    in that order); else None.

    TF's pass (``tape.h``'s ``ComputeGradient``) takes ops from a queue: an op is ready once
    every recorded op that uses one of its outputs has been processed, and a ready op goes to
    the front while the next one is taken from the back.
    """
    made = outputs_of(structure)
    wanted = _reaching(structure, made, targets)
    nodes = sorted({made[c][0] for c in wanted.values() if c >= 0})
    usage: dict[int, int] = {}
    for n in nodes:
        for x in structure[n][2]:
            usage[x] = usage.get(x, 0) + 1
    missing = {n: 0 for n in nodes}
    for c in usage:
        if c >= 0 and made[c][0] in missing:
            missing[made[c][0]] += 1
    queue = [n for n in dict.fromkeys(made[t][0] for t in targets if t >= 0)
             if missing.get(n) == 0][::-1]
    order: list[int] = []
    seen: set[int] = set()
    while queue:
        n = queue.pop()
        order.append(n)
        seen.add(n)
        for x in structure[n][2]:
            left = usage[x] = usage[x] - 1
            if left == 0 and x >= 0 and made[x][0] in missing:
                m = made[x][0]
                missing[m] -= 1
                if missing[m] == 0:
                    queue.insert(0, m)
    order += [n for n in reversed(nodes) if n not in seen]  # (a node no target op uses)
    first = [0]
    for entry in structure:
        first.append(first[-1] + n_outputs(entry[3]))
    target_set = set(targets)
    users: dict[int, list[tuple[int, int]]] = {}  # per code, its (node, input) uses in order
    order = [n for n in order if structure[n][4]]  # a use giving no float gives no gradient
    for n in order:
        for i, x in enumerate(structure[n][2]):
            users.setdefault(x, []).append((n, i))

    def expand(n: int, i: int) -> list[tuple[int, int, int]] | None:
        """The row gathers behind the use of input ``i`` by node ``n`` (None: a dense use)."""
        fn, static, codes, multi, _ = structure[n]
        if i == 0 and row_gather(fn, static):
            return [(first[n], codes[0], codes[1])]
        if i == 0 and multi is None and getattr(fn, "row_passthrough", False) \
                and first[n] not in target_set:  # TF's Identity, Cast: pass slices on
            found: list[tuple[int, int, int]] = []
            for use in users.get(first[n], ()):
                rows = expand(*use)
                if rows is None:
                    return None
                found += rows
            return found
        return None
    out: list[tuple[tuple[int, int, int], ...] | None] = []
    for group in source_groups:
        members = set(group)
        found: list[tuple[int, int, int]] | None = []
        for n in order:
            for i, x in enumerate(structure[n][2]):
                if x in members and found is not None:
                    rows = expand(n, i)
                    found = None if rows is None else found + rows
        out.append(tuple(found) if found and not members & target_set else None)
    return tuple(out)
