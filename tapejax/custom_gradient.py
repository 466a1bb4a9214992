"""``tf.custom_gradient`` and ``tf.recompute_grad`` on ``jax.custom_vjp`` and ``jax.checkpoint``.

A decorated call runs the user's function once, then records one node whose JAX function
re-runs it under ``jax.custom_vjp`` with the user's ``grad_fn`` as the backward rule. On the
arrays of the original call the node reuses that call's outputs and ``grad_fn`` (TF runs
``grad_fn`` eagerly, so it may look at values); on other values (tracers of a higher-order
replay, a ``tapejax.function`` trace) it re-runs the function to get a ``grad_fn`` of them.
"""
import contextlib
import functools
import inspect

import jax
import jax.numpy as jnp

from . import nest
from ._cache import Cache
from ._capture import TRACE
from ._recording import STACK, paused, record, watching_variables
from .tensor import Tensor, TensorLike, convert_to_tensor

_KEYWORDS_IN_FUNCTION = ("The custom_gradient decorator currently supports keywords arguments "
                         "only when eager execution is enabled.")
_NEEDS_VARIABLES = ("@tf.custom_gradient grad_fn must accept keyword argument 'variables', "
                    "since function uses variables: {}")


class _VariableValues:
    """Installed as the thread's capture while a recorded function is re-run: the Variables it
    reads see the replay's values (tracers or arrays), so gradients reach them."""

    def __init__(self, variables, arrays, parent):
        self.values = {id(v): Tensor(a) for v, a in zip(variables, arrays)}
        self.parent = parent

    def read(self, variable):
        found = self.values.get(id(variable))
        if found is not None:
            return found
        return variable._stored if self.parent is None else self.parent.read(variable)

    def write(self, variable, array):
        self.values[id(variable)] = Tensor(jax.lax.stop_gradient(array))

    def created(self, variable):
        raise ValueError("Variables cannot be created while a custom_gradient or recompute_grad "
                         "function is re-run for its gradient.")


@contextlib.contextmanager
def _reading(variables, arrays):
    """Re-runs inside see ``arrays`` as the values of ``variables``; no tape records."""
    saved = TRACE.capture
    TRACE.capture = _VariableValues(variables, arrays, saved)
    try:
        with paused():
            yield
    finally:
        TRACE.capture = saved


def _accepts_variables(grad_fn):
    spec = inspect.getfullargspec(grad_fn)
    return "variables" in spec.args or "variables" in spec.kwonlyargs or spec.varkw is not None


def _same_arrays(a, b):
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


class _CustomCall:
    """The recorded node function of one ``custom_gradient`` call."""

    eager_only = True  # replays of plans holding it are not jit-compiled (see _backprop)

    def __init__(self, f, args, kwargs, n_args, variables, result_tree, first):
        self._f, self._args, self._kwargs = f, args, kwargs
        self._n_args, self._variables, self._result_tree = n_args, variables, result_tree
        self._flat = nest.flatten(list(args))  # TF expects one gradient per flat argument
        self._tensor_at = [k for k, a in enumerate(self._flat) if isinstance(a, TensorLike)]
        self._first = first  # (input arrays, output arrays, grad_fn) of the real call
        self.none_inputs = set()  # inputs whose gradient grad_fn gave as None (eager runs)
        self._vjp = self._make_vjp()
        self.forward_mode = self._make_jvp()

    def __call__(self, *arrays):
        return self._vjp(*arrays)

    def _run(self, arrays):
        """Outputs and grad_fn of the user's function at ``arrays`` (a fresh call if needed)."""
        if self._first is not None and _same_arrays(arrays, self._first[0]):
            return self._first[1:]
        tensors = [Tensor(a) for a in arrays[:self._n_args]]
        with _reading(self._variables, arrays[self._n_args:]):
            result, grad_fn = self._f(*self._rebuild(tensors), **self._kwargs)
        return tuple(convert_to_tensor(r)._value for r in nest.flatten(result)), grad_fn

    def _rebuild(self, tensors):
        flat = list(self._flat)
        for k, t in zip(self._tensor_at, tensors):
            flat[k] = t
        return nest.pack_sequence_as(list(self._args), flat)

    def _grads(self, grad_fn, cotangents, arrays):
        upstream = [Tensor(c) for c in cotangents]
        with _reading(self._variables, arrays[self._n_args:]):
            if self._variables:
                input_grads, variable_grads = grad_fn(*upstream, variables=self._variables)
                if len(nest.flatten(variable_grads)) != len(self._variables):
                    raise ValueError("Must return gradient for each variable from "
                                     "@custom_gradient grad_fn.")
            else:
                input_grads, variable_grads = grad_fn(*upstream), []
        flat = nest.flatten(input_grads)
        if len(flat) != len(self._flat):
            raise ValueError(f"custom_gradient function expected to return {len(self._flat)} "
                             f"gradients, but returned {len(flat)} instead.")
        grads = [flat[k] for k in self._tensor_at] + nest.flatten(variable_grads)
        if not any(isinstance(c, jax.core.Tracer) for c in cotangents):
            self.none_inputs = {k for k, g in enumerate(grads) if g is None}
        return tuple(jnp.zeros_like(a) if g is None else jnp.asarray(convert_to_tensor(g)._value,
                                                                     a.dtype)
                     for g, a in zip(grads, arrays))

    def _make_vjp(self):
        @jax.custom_vjp
        def call(*arrays):
            return self._run(arrays)[0]

        def fwd(*arrays):  # the outputs' own derivative is the rule too (higher orders)
            return call(*arrays), arrays

        def bwd(arrays, cotangents):
            return self._grads(self._run(arrays)[1], cotangents, arrays)

        call.defvjp(fwd, bwd)
        return call

    def traced(self, arrays):
        """The call inside a trace (``tapejax.function``), as one ``custom_vjp`` of explicit
        arguments: values ``f`` closes over (tensors of the traced body) become arguments
        with no gradient, as in TF, where only the inputs and Variables get one."""
        def both(arrays, cotangents):
            outputs, grad_fn = self._run(arrays)
            return outputs, self._grads(grad_fn, cotangents, arrays)

        shapes = jax.eval_shape(lambda a: self._run(a)[0], arrays)
        pure, consts = jax.closure_convert(both, arrays, shapes)

        @jax.custom_vjp
        def call(arrays, consts):
            return pure(arrays, tuple(jnp.zeros(o.shape, o.dtype) for o in shapes), *consts)[0]

        def fwd(arrays, consts):
            return call(arrays, consts), (arrays, consts)

        def bwd(residuals, cotangents):
            arrays, consts = residuals
            grads = pure(arrays, tuple(cotangents), *consts)[1]
            return grads, tuple(jnp.zeros_like(c) for c in consts)

        call.defvjp(fwd, bwd)
        return call(tuple(arrays), tuple(consts))

    def _make_jvp(self):
        """Forward mode as TF does it: the transpose of the (linear) ``grad_fn``."""
        @jax.custom_jvp
        def call(*arrays):
            return self._run(arrays)[0]

        @call.defjvp
        def jvp(arrays, tangents):
            outputs, grad_fn = self._run(arrays)
            zeros = tuple(jnp.zeros_like(o) for o in outputs)
            _, transpose = jax.vjp(lambda *c: self._grads(grad_fn, c, arrays), *zeros)
            return outputs, transpose(tuple(tangents))

        return call



def custom_gradient(f=None):
    """Decorator giving a function its own gradient, as ``tf.custom_gradient``.

    ``f(*args)`` returns ``(y, grad_fn)``; ``grad_fn(*upstream)`` returns one gradient per
    argument, or ``(input_grads, variable_grads)`` with ``variables=`` when ``f`` reads Variables.

    >>> import tapejax as tf
    >>> @tf.custom_gradient
    ... def log1pexp(x):
    ...   e = tf.exp(x)
    ...   def grad(upstream):
    ...     return upstream * (1 - 1 / (1 + e))
    ...   return tf.math.log(1 + e), grad
    >>> x = tf.constant(100.0)
    >>> with tf.GradientTape() as g:
    ...   g.watch(x)
    ...   y = log1pexp(x)
    >>> print(g.gradient(y, x))
    tf.Tensor(1.0, shape=(), dtype=float32)
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        if kwargs and TRACE.capture is not None:
            raise ValueError(_KEYWORDS_IN_FUNCTION)
        with watching_variables() as read, paused():
            result, grad_fn = f(*args, **kwargs)
        arg_tensors = [a for a in nest.flatten(list(args)) if isinstance(a, TensorLike)]
        variables = [v for v in read if all(v is not a for a in arg_tensors)]
        if variables and not _accepts_variables(grad_fn):
            raise TypeError(_NEEDS_VARIABLES.format(variables))
        outputs = tuple(Tensor(convert_to_tensor(r)._value) for r in nest.flatten(result))
        inputs = tuple(a if isinstance(a, Tensor) else a._tapejax_read()
                       for a in arg_tensors + variables)
        arrays = tuple(t._value for t in inputs)
        if TRACE.capture is not None or any(isinstance(a, jax.core.Tracer) for a in arrays):
            # inside a trace the program itself must carry the rule, for tapes outside it
            node = _CustomCall(f, args, kwargs, len(arg_tensors), variables, result, None)
            outputs = tuple(Tensor(a) for a in node.traced(arrays))
        if STACK.tapes:
            first = (arrays, tuple(o._value for o in outputs), grad_fn)
            node = _CustomCall(f, args, kwargs, len(arg_tensors), variables, result, first)
            record(node, (), inputs, outputs, True)
        return nest.pack_sequence_as(result, list(outputs))

    return decorated


def recompute_grad(f):
    """``tf.recompute_grad``: same values; the forward pass is recomputed in the gradient
    (``jax.checkpoint``) instead of being kept."""

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        with watching_variables() as read, paused():
            result = f(*args, **kwargs)
        arg_tensors = [a for a in args if isinstance(a, TensorLike)]
        outputs = tuple(Tensor(convert_to_tensor(r)._value) for r in nest.flatten(result))
        if STACK.tapes:
            variables = [v for v in read if all(v is not a for a in arg_tensors)]
            inputs = tuple(a if isinstance(a, Tensor) else a._tapejax_read()
                           for a in arg_tensors + variables)
            record(_checkpointed(f, args, kwargs, variables), (), inputs, outputs, True)
        return nest.pack_sequence_as(result, list(outputs))

    return decorated


class _Checkpointed:
    """The recorded node of a ``recompute_grad`` call: ``f`` under ``jax.checkpoint``; the
    Variables ``f`` reads are inputs too, and the re-run reads them from there."""

    def __init__(self, f, args, kwargs, variables):
        n = sum(isinstance(a, TensorLike) for a in args)

        def pure(*arrays):
            it = iter(Tensor(a) for a in arrays[:n])
            rebuilt = [next(it) if isinstance(a, TensorLike) else a for a in args]
            with _reading(variables, arrays[n:]):
                result = f(*rebuilt, **kwargs)
            return tuple(convert_to_tensor(r)._value for r in nest.flatten(result))
        self._call = jax.checkpoint(pure)

    def __call__(self, *arrays):
        return self._call(*arrays)


_CHECKPOINTS = Cache("gradient.custom_gradient_nodes", 256)  # (f, static args, Variables) -> node


def _checkpointed(f, args, kwargs, variables):
    """One node function per (function, non-tensor arguments, Variables), so training loops
    hit the compiled-gradient cache."""
    static = tuple(None if isinstance(a, TensorLike) else a for a in args)
    try:
        key = (f, static, tuple(sorted(kwargs.items())), tuple(id(v) for v in variables))
        hash(key)
    except TypeError:
        node = _Checkpointed(f, args, kwargs, variables)
        node.eager_only = True  # unhashable arguments: a fresh node, kept out of the cache
        return node
    return _CHECKPOINTS.get(key, lambda: _Checkpointed(f, args, kwargs, variables))
