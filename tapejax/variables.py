"""``Variable``: a mutable, named holder of one immutable JAX array (TF's ``tf.Variable``).

Each value a Variable holds is one Tensor; ops read that Tensor, so a tape sees one source per
value the variable had while it recorded (TF sums the gradients of all reads). ``assign`` makes a
fresh Tensor, which is why gradients never flow through an assignment (as in TF).
"""
import contextlib
import functools
import inspect
import itertools
import threading

import jax
import jax.numpy as jnp
import numpy as np

from . import dtypes, errors
from ._capture import TRACE
from ._donation import InterruptsHeld, only_holder, other_threads_running
from ._recording import variable_accessed
from ._trackable import Trackable
from .tensor import Tensor, TensorLike, _to_numpy, convert_to_tensor, remember_slice
from .tensor_shape import TensorShape

_ids = itertools.count()


class VariableSynchronization:
    AUTO, NONE, ON_WRITE, ON_READ = 0, 1, 2, 3


class VariableAggregation:
    NONE, SUM, MEAN, ONLY_FIRST_REPLICA = 0, 1, 2, 3


class _Creators(threading.local):
    def __init__(self):
        self.stack = []  # the creators of ``variable_creator_scope``s, outermost first


_CREATORS = _Creators()


@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """``tf.variable_creator_scope``: ``Variable(...)`` inside calls ``variable_creator``.

    The creator is called as ``variable_creator(next_creator, **kwargs)`` with every argument of
    ``Variable`` by name; the innermost scope's creator runs first, as in TF.

    >>> import tapejax as tf
    >>> def named(next_creator, **kwargs):
    ...   kwargs["name"] = "w"
    ...   return next_creator(**kwargs)
    >>> with tf.variable_creator_scope(named):
    ...   v = tf.Variable(1.0)
    >>> v.name
    'w:0'
    """
    stack = _CREATORS.stack
    stack.append(variable_creator)
    try:
        yield
    finally:
        del stack[len(stack) - 1 - stack[::-1].index(variable_creator)]


def _index_key(key):
    """A ``__getitem__`` key with Tensors replaced by their arrays (for ``.at[key]``; traced
    ones stay traced)."""
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    if isinstance(key, slice):
        return slice(_index_key(key.start), _index_key(key.stop), _index_key(key.step))
    if isinstance(key, TensorLike):
        return (key if isinstance(key, Tensor) else key._tapejax_read())._value
    return key


def _scoped(name):
    """``name`` under the active ``tf.name_scope`` (``a/b/name``), as TF names a Variable."""
    from .module import get_current_name_scope  # module.py imports this module
    scope = get_current_name_scope()
    return f"{scope}/{name}" if scope else name


class _VariableMeta(type):
    """``Variable(...)`` goes through the active variable creators (TF's ``VariableMetaclass``)."""

    def __call__(cls, *args, **kwargs):
        creators = _CREATORS.stack
        if not creators or cls is not Variable:
            return super().__call__(*args, **kwargs)
        bound = _INIT_SIGNATURE.bind(None, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        del arguments["self"]

        def default(**kw):
            return type.__call__(Variable, **kw)
        make = default
        for creator in creators:
            make = _chain(creator, make)
        return make(**arguments)


def _chain(creator, next_creator):
    return lambda **kwargs: creator(next_creator, **kwargs)


class Variable(TensorLike, Trackable, metaclass=_VariableMeta):
    """A mutable tensor-valued state, as ``tf.Variable``.

    >>> import tapejax as tf
    >>> v = tf.Variable(1.0)
    >>> _ = v.assign_add(2.0)
    >>> v
    <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>
    """

    __slots__ = ("_stored", "_name", "_trainable", "_id", "_lock", "_constraint",
                 "_synchronization", "_aggregation", "__weakref__")

    def __init__(self, initial_value=None, trainable=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None,
                 synchronization=VariableSynchronization.AUTO,
                 aggregation=VariableAggregation.NONE, shape=None,
                 experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("The `initial_value` arg (None) must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        if constraint is not None and not callable(constraint):
            raise ValueError(f"The `constraint` argument must be a callable. Received: "
                             f"{constraint!r}")
        value = convert_to_tensor(initial_value, dtype=dtype)
        self._stored = Tensor(value._value)
        self._name = _scoped("Variable" if name is None else str(name))
        if synchronization == VariableSynchronization.ON_READ and trainable:
            raise ValueError("Synchronization value can be set to VariableSynchronization.ON_READ "
                             "only for non-trainable variables. You have specified trainable=True "
                             "and synchronization=VariableSynchronization.ON_READ.")
        self._trainable = (synchronization != VariableSynchronization.ON_READ
                           if trainable is None else bool(trainable))
        self._id = next(_ids)
        self._lock = threading.Lock()
        self._constraint = constraint
        self._synchronization = synchronization
        self._aggregation = aggregation
        if TRACE.capture is not None:
            TRACE.capture.created(self)

    # --- reading -------------------------------------------------------------------------
    @property
    def _tensor(self):
        """The current value; inside a ``tapejax.function`` trace, this thread's traced value."""
        capture = TRACE.capture
        return self._stored if capture is None else capture.read(self)

    def _tapejax_read(self):
        """The Tensor holding the current value; recording tapes see the read."""
        tensor = self._tensor
        variable_accessed(self, tensor)
        return tensor

    def __getitem__(self, key):
        """``v[key]``: a read, whose ``assign(value)`` writes that slice back (TF's sliced
        assignment; a value that does not fit raises ``InvalidArgumentError`` and leaves the
        Variable as it was)."""
        out = TensorLike.__getitem__(self, key)
        remember_slice(out, functools.partial(self._assign_slice, key))
        return out

    def _assign_slice(self, key, value, name=None):
        value = convert_to_tensor(value, dtype=self.dtype)
        try:
            new = self._tapejax_read()._value.at[_index_key(key)].set(value._value)
        except (TypeError, ValueError, IndexError) as error:
            raise errors.InvalidArgumentError(None, None, (
                f"{error} [Op:ResourceStridedSliceAssign] name: ")) from None
        return self.assign(Tensor(new))

    def read_value(self):
        return self._tapejax_read()

    def _scatter(self, sparse_delta, update, op_name):
        """``scatter_*``: ``update(rows_at(indices), values)`` on the rows ``sparse_delta`` (an
        ``IndexedSlices``) names; out-of-range indices raise TF's error eagerly and leave the
        Variable as it was."""
        from .ops import array_ops  # the ops module imports this one
        if type(sparse_delta).__name__ != "IndexedSlices":
            raise TypeError("Argument `sparse_delta` must be a `tf.IndexedSlices`. Received "
                            f"arg: {sparse_delta}")
        values = convert_to_tensor(sparse_delta.values, dtype=self.dtype)
        indices = sparse_delta.indices
        array_ops._check_indices(array_ops.concrete(indices), self.shape[0], op_name)
        rows = self._tapejax_read()._value.at[indices._value]
        return self.assign(Tensor(update(rows, values._value)))

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        """Adds ``sparse_delta``'s values to the rows at its indices (repeats add up)."""
        return self._scatter(sparse_delta, lambda r, x: r.add(x), "ResourceScatterAdd")

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        """Subtracts ``sparse_delta``'s values from the rows at its indices."""
        return self._scatter(sparse_delta, lambda r, x: r.add(-x), "ResourceScatterSub")

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Sets the rows at ``sparse_delta``'s indices to its values."""
        return self._scatter(sparse_delta, lambda r, x: r.set(x), "ResourceScatterUpdate")

    def scatter_max(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(sparse_delta, lambda r, x: r.max(x), "ResourceScatterMax")

    def scatter_min(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(sparse_delta, lambda r, x: r.min(x), "ResourceScatterMin")

    def scatter_mul(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(sparse_delta, lambda r, x: r.multiply(x), "ResourceScatterMul")

    def scatter_div(self, sparse_delta, use_locking=False, name=None):
        return self._scatter(sparse_delta, lambda r, x: r.divide(x), "ResourceScatterDiv")

    def sparse_read(self, indices, name=None):
        """``Variable.sparse_read``: the rows of the value at ``indices`` (TF's
        ``ResourceGather``; a tape's gradient for them is an ``IndexedSlices``)."""
        from .ops import array_ops  # the ops module imports this one
        return array_ops.gather(self, indices, name=name)

    value = read_value

    def numpy(self):
        return _to_numpy(self._tensor._value)

    def __jax_array__(self):
        return self._tensor._value

    @property
    def dtype(self):
        return dtypes.from_numpy(self._stored._value.dtype)

    @property
    def shape(self):
        return TensorShape(self._stored._value.shape)

    @property
    def name(self):
        return self._name + ":0"

    @property
    def trainable(self):
        return self._trainable

    @property
    def constraint(self):
        return self._constraint

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def handle(self):
        return self

    @property
    def _unique_id(self):
        """A key unique to this Variable in the process (TF's ``_unique_id``)."""
        return f"{self._name.rsplit(':', 1)[0]}_{self._id}"

    @property
    def initial_value(self):
        raise NotImplementedError("initial_value is not kept in eager mode (as in TF2 eager).")

    # --- writing -------------------------------------------------------------------------
    def _new_value(self, value):
        tensor = convert_to_tensor(value, dtype=self.dtype)
        if tensor.shape != self.shape:
            raise ValueError(errors.ASSIGN_SHAPE.format(
                name=self.name, var_shape=self.shape, value_shape=tensor.shape))
        return tensor._value

    def _write(self, update, reads=True):
        """Stores ``update(old value array)``; inside a function trace, the trace records it."""
        capture = TRACE.capture
        if capture is not None:
            capture.write(self, update(capture.read(self)._value if reads else None))
            return
        with self._lock:
            self._stored = Tensor(update(self._stored._value))

    def _update_in_place(self, op, op_in_place, delta):
        """``op(value, delta)``; XLA reuses the old buffer when nothing else holds it (one
        thread only: another could be reading the Variable)."""
        delta = self._new_value(delta)
        if TRACE.capture is not None or other_threads_running():
            self._write(lambda old: op(old, delta))
            return
        with self._lock:
            old = self._stored
            if only_holder(old, 4):  # the slot, ``old``, the argument, getrefcount's own
                with InterruptsHeld(True):
                    self._stored = Tensor(op_in_place(old._value, delta))
            else:
                self._stored = Tensor(op(old._value, delta))

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Sets the value; a wrong shape or dtype raises as TF and leaves the value untouched."""
        new = self._new_value(value)
        self._write(lambda old: new, reads=False)
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        self._update_in_place(_add, _add_in_place, delta)
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        self._update_in_place(_subtract, _subtract_in_place, delta)
        return self if read_value else None

    # --- checkpointing (TF's Trackable protocol; Keras Variables delegate here) -----------
    def _serialize_to_tensors(self):
        """``{"VARIABLE_VALUE": self}``: what a checkpoint saves of this Variable."""
        return {"VARIABLE_VALUE": self}

    def _restore_from_tensors(self, restored_tensors):
        """Assigns the checkpointed ``VARIABLE_VALUE``."""
        return self.assign(restored_tensors["VARIABLE_VALUE"])

    # --- protocol ------------------------------------------------------------------------
    def __hash__(self):
        raise TypeError(errors.VARIABLE_UNHASHABLE.format(var=self))

    def __repr__(self):
        value = self._tensor._value
        if isinstance(value, jax.core.Tracer):
            body = "<traced>"
        else:
            body = np.array_repr(np.asarray(value)) if value.ndim else str(self.numpy())
        sep = "\n" if "\n" in body else ""
        return (f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={sep}{body}>")

    __str__ = __repr__

    def __format__(self, spec):
        # TF: a Variable formats as ``str`` (not its value, as a Tensor does)
        if spec:
            raise TypeError("unsupported format string passed to ResourceVariable.__format__")
        return str(self)


# jitted: dispatched in C++, several microseconds faster than array operators per update
_add = jax.jit(jnp.add)
_subtract = jax.jit(jnp.subtract)
_add_in_place = jax.jit(jnp.add, donate_argnums=0)
_subtract_in_place = jax.jit(jnp.subtract, donate_argnums=0)


def _flatten_variable(v):
    return (v._tensor._value,), (v._name, v._trainable)


def _unflatten_variable(aux, children):
    v = object.__new__(Variable)
    v._stored = Tensor(children[0])
    v._name, v._trainable = aux
    v._id = next(_ids)
    v._lock = threading.Lock()
    v._constraint = None
    v._synchronization = VariableSynchronization.AUTO
    v._aggregation = VariableAggregation.NONE
    return v


_INIT_SIGNATURE = inspect.signature(Variable.__init__)
jax.tree_util.register_pytree_node(Variable, _flatten_variable, _unflatten_variable)
