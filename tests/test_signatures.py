"""Every public function of tapejax's TF namespaces has TF 2.21's signature, and reads every
argument it accepts (issue 14).

(a) A function whose name TF has in the same namespace takes TF's parameters, in TF's order,
with TF's defaults (a keyword call or a positional call means the same thing in both).
(b) A parameter the function's code never reads would be accepted and silently ignored; each
one is listed below with why having no effect is right (TF's eager behaviour), or the function
must read it (and raise ``NotImplementedError`` naming it where it is not implemented).
"""
import dis
import functools
import inspect

import pytest

import tapejax

NAMESPACES = ("", "math", "nn", "linalg", "random", "signal", "image", "strings", "nest",
              "debugging", "math.special", "io", "config", "autodiff", "data", "train")

# "namespace.name" -> why its signature cannot be TF's.
SIGNATURE_EXCEPTIONS = {
    ".irfftnd": "TF's raw-op export (with the Treal attribute); tapejax exports tf.signal's",
    ".rfftnd": "TF's raw-op export (with the Tcomplex attribute); tapejax exports tf.signal's",
    "signal.fftnd": "`input` is required and `norm` not taken: to match (input_tensor, norm)",
    "signal.ifftnd": "`input` is required and `norm` not taken: to match (input_tensor, norm)",
    "signal.rfftnd": "`input` is required and `norm` not taken: to match (input_tensor, norm)",
    "signal.irfftnd": "`input` is required and `norm` not taken: to match (input_tensor, norm)",
    ".numpy_function": "TF gives `func`, `inp`, `Tout` None defaults only to reject None "
                       "later; tapejax requires them (a TypeError either way)",
    ".py_function": "as numpy_function",
    ".print": "TF reads its keywords from **kwargs; tapejax names the same keywords",
    "math.logical_xor": "TF's default `name` is 'LogicalXor'; names have no effect in eager",
    "nn.sufficient_statistics": "also takes TF1's `keep_dims` (4th, as TF's `keepdims`)",
    "debugging.assert_all_finite": "also takes TF1's `t`/`msg` (same positions as x/message)",
}

# Parameters that may go unread: what TF itself does with them in eager mode.
IGNORED_EVERYWHERE = {
    "name": "op and scope names have no effect on eager values",
    "parallel_iterations": "a graph scheduling hint (map_fn, scan, folds, while_loop)",
    "back_prop": "deprecated in TF 2 (use stop_gradient); TF ignores it in eager",
    "swap_memory": "a graph memory hint",
    "validate_args": "only adds assertions TF's kernels make anyway",
    "summarize": "how many entries an assertion message shows",
    "expand_composites": "tapejax's composites (IndexedSlices, PerReplica) flatten as leaves "
                         "either way",
    "a_is_sparse": "a kernel-selection hint; the product is the same",
    "b_is_sparse": "a kernel-selection hint; the product is the same",
    "infer_shape": "False only turns off TF's check that elements share a shape (they must "
                   "share one to be stacked in tapejax)",
    "alg": "the counter-based algorithm of TF's stateless RNG: tapejax's numbers are JAX's "
           "stream for every algorithm (README: random streams differ)",
}
# "namespace.name" -> {parameter: why it is not read}.
IGNORED = {
    ".argsort": {"stable": "tapejax's sort is always stable (a valid result for both)"},
    ".case": {"strict": "a TF1 graph flag, ignored by TF 2",
              "exclusive": "TF 2.21 does not check it either: with two true predicates it "
                           "returns the first one's branch, eager and in tf.function"},
    ".control_dependencies": {"control_inputs": "eager ops already ran, as in TF eager"},
    ".device": {"device_name": "a no-op over JAX's default device (documented)"},
    ".einsum": {"kwargs": "TF accepts and ignores `optimize`-style keywords too"},
    ".function": {"experimental_implements": "only annotates TF's graph",
                  "experimental_attributes": "only annotates TF's graph",
                  "experimental_follow_type_hints": "deprecated, and without effect in TF "
                                                    "2.21: an annotated Python value still "
                                                    "traces again"},
    ".gather": {"validate_indices": "deprecated; TF ignores it"},
    "nn.embedding_lookup_sparse": {
        "allow_fast_lookup": "TF's choice of a faster path with the same values; tapejax has one"},
    ".get_static_value": {"partial": "values are known whole or not at all in tapejax"},
    ".group": {"inputs": "eager ops already ran; TF eager returns None too",
               "kwargs": "TF's only keyword is `name`"},
    ".histogram_fixed_width_bins": {"dtype": "TF 2.21 ignores it too: the bins are int32 "
                                              "for dtype=tf.int64"},
    ".matmul": {"grad_a": "a TF-internal gradient hint", "grad_b": "a TF-internal gradient hint"},
    ".numpy_function": {"stateful": "an optimisation hint for TF's graphs"},
    ".strided_slice": {"var": "the Variable TF keeps for sliced assignment; tapejax slices "
                              "Variables through `v[...]`"},
    ".tuple": {"control_inputs": "eager ops already ran"},
    ".variable_creator_scope": {"variable_creator": "read by the context manager's body"},
    ".vectorized_map": {"fallback_to_while_loop": "tapejax falls back itself",
                        "warn": "tapejax warns about nothing here"},
    "math.accumulate_n": {"shape": "TF only checks it", "tensor_dtype": "TF only checks it"},
    "math.approx_max_k": {"recall_target": "the result is exact (recall 1) on every device",
                          "reduction_input_size_override": "a hint for the approximation",
                          "aggregate_to_topk": "the exact result is already aggregated"},
    "math.top_k": {"sorted": "always sorted: valid for sorted=False too"},
    "nn.ctc_loss": {"unique": "TF's faster path with the same loss and gradient "
                              "(test_ctc_loss compares both)"},
    "nn.moments": {"shift": "TF 2's moments does not use it either"},
    "linalg.set_diag": {"align": "only the main diagonal is implemented (k=0 raises "
                                 "otherwise), where every alignment is the same"},
    "random.fold_in": {"alg": IGNORED_EVERYWHERE["alg"]},
    "random.split": {"alg": IGNORED_EVERYWHERE["alg"]},
}


def _module(lib, namespace):
    return functools.reduce(getattr, namespace.split("."), lib) if namespace else lib


def _functions():
    seen, out = set(), []
    for namespace in NAMESPACES:
        module = _module(tapejax, namespace)
        for attr in sorted(dir(module)):
            if module is tapejax and attr in tapejax._keras.KERAS_ATTRIBUTES:
                continue  # Keras's modules; reading them would load Keras in this process
            fn = getattr(module, attr)
            if attr.startswith("_") or not inspect.isfunction(fn) or id(fn) in seen:
                continue
            seen.add(id(fn))
            out.append((f"{namespace}.{attr}", fn))
    return out


def _default(value):
    if value is inspect.Parameter.empty:
        return "<required>"
    if type(value).__name__ == "DType":
        return "dtype " + value.name
    return repr(value)


def _signature(fn):
    return [(p.name, _default(p.default), p.kind) for p in
            inspect.signature(fn).parameters.values()]


def test_signatures_are_tensorflows(real_tf):
    """Names, order, kinds and defaults of every function TF has under the same name."""
    differ = []
    for qualified, fn in _functions():
        namespace, attr = qualified.rsplit(".", 1)
        theirs = getattr(_module(real_tf, namespace), attr, None)
        if theirs is None or not inspect.isfunction(inspect.unwrap(theirs)):
            continue
        if _signature(fn) != _signature(theirs) and qualified not in SIGNATURE_EXCEPTIONS:
            differ.append(f"{qualified}{inspect.signature(fn)} vs TF "
                          f"{inspect.signature(theirs)}")
    assert not differ, "\n".join(differ)


def test_signature_exceptions_still_differ(real_tf):
    for qualified in SIGNATURE_EXCEPTIONS:
        namespace, attr = qualified.rsplit(".", 1)
        ours, theirs = getattr(_module(tapejax, namespace), attr), getattr(
            _module(real_tf, namespace), attr)
        assert _signature(ours) != _signature(theirs), f"{qualified} now matches: drop it"


def _reads(code, names):
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")):
            names.add(instruction.argval)
    for const in code.co_consts:
        if inspect.iscode(const):
            _reads(const, names)
    return names


def _unread(fn):
    read = _reads(fn.__code__, set())
    return [p for p in inspect.signature(fn).parameters if p not in read]


@pytest.mark.parametrize("qualified, fn", _functions(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_no_argument_is_silently_ignored(qualified, fn):
    """Each parameter is read by the function (or listed, with TF's reason)."""
    listed = IGNORED.get(qualified, {})
    unexplained = [p for p in _unread(fn) if p not in listed and p not in IGNORED_EVERYWHERE]
    assert not unexplained, f"{qualified} never reads {unexplained}"


def test_ignored_entries_are_still_unread():
    functions = dict(_functions())
    for qualified, params in IGNORED.items():
        unread = _unread(functions[qualified])
        for param in params:
            assert param in unread, f"{qualified} now reads `{param}`: drop the entry"


@pytest.mark.parametrize("program", [
    "tf.math.atan2(y=tf.constant(1.0), x=tf.constant(2.0))",
    "tf.math.atan2(x=tf.constant(1.0), y=tf.constant(2.0))",
    "tf.math.igamma(a=tf.constant(1.0), x=tf.constant(2.0))",
    "tf.math.igammac(x=tf.constant(1.0), a=tf.constant(2.0))",
    "tf.nn.relu(features=tf.constant([-1.0, 2.0]))", "tf.identity(input=tf.constant(2.0))",
    "tf.nn.l2_loss(t=tf.constant([1.0, 2.0]))", "tf.math.conj(x=tf.constant(2.0))",
    "tf.shape(tf.ones((2, 3)), out_type=None)", "tf.strings.to_number(input='1.5')",
])
def test_keyword_calls_as_tensorflow(real_tf, program):
    """Calls by TF's keyword names mean what they mean in TF (``atan2(y, x)``)."""
    import numpy as np

    def run(lib):
        out = eval(program, {"tf": lib})  # fixed programs
        return np.round(np.asarray(out).astype(np.float64), 5).tolist()
    assert run(tapejax) == run(real_tf)
