"""``tf.saved_model.load``: rebuilds the saved object graph as ``_UserObject``s holding
new Variables (values from ``variables/``) and the saved functions, which run the exported
StableHLO with the Variables' current values and write back the ones they assign.

Only JSON, the checkpoint and ``jax.export``'s serialized programs are read. Everything is read
and checked before the loaded object is returned, so a failed load has no effect.
"""
import json
import os
from collections.abc import Mapping

import jax
from jax import export as jax_export

from .. import _tracking, errors, nest
from .._recording import STACK, record
from ..function import _STATE_LOCK, BIND_FAILED
from ..tensor import Tensor, convert_to_tensor
from ..tensor_spec import TensorSpec
from ..train import _bundle, _object_graph
from ..train.checkpoint import _tf_type_name
from ..variables import Variable
from . import _constants as C, _structure
from ._options import LoadOptions


class _UserObject:
    """A loaded object: its saved attributes, Variables and functions (TF's ``_UserObject``).

    Like TF's, it is a plain trackable object, not a ``tf.Module``: it has no ``variables``,
    ``trainable_variables`` or ``submodules``; a checkpoint saves its attributes."""

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        _tracking.changed(self)

    def _checkpoint_children(self):
        return [(k, v) for k, v in vars(self).items() if _object_graph.is_trackable(v)]


class _Mismatch(Exception):
    pass


def _conform(template, value):
    """``value`` bound to ``template``: flat tensors (converted to the specs' dtypes)."""
    if isinstance(template, TensorSpec):
        try:
            t = convert_to_tensor(value, dtype=template.dtype)
        except (TypeError, ValueError):
            raise _Mismatch from None
        if not template.shape.is_compatible_with(t.shape):
            raise _Mismatch
        return [t]
    if isinstance(template, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(template):
            raise _Mismatch
        return [t for a, b in zip(template, value) for t in _conform(a, b)]
    if isinstance(template, dict):
        if not isinstance(value, Mapping) or set(value) != set(template):
            raise _Mismatch
        return [t for k in sorted(template) for t in _conform(template[k], value[k])]
    if type(value) is not type(template) or value != template:
        raise _Mismatch
    return []


class _Concrete:
    """One saved concrete function: its program, binding and Variables."""

    def __init__(self, entry, export_dir, variables):
        try:
            if "variants" in entry:  # one program per rank of the unknown-rank inputs
                files = {tuple(v["ranks"]): v["file"] for v in entry["variants"]}
            else:
                files = {(): entry["file"]}
            self.programs = {ranks: self._program(export_dir, name)
                             for ranks, name in files.items()}
            self.params = entry["params"]
            self.defaults = dict(entry["defaults"])
            self.args = _structure.decode(entry["args"])
            self.kwargs = _structure.decode(entry["kwargs"])
            self.outputs = _structure.decode(entry["outputs"])
            self.reads = [variables[k] for k in entry["reads"]]
            self.written = [variables[k] for k in entry["written"]]
            self.input_names = entry.get("input_names")
            self.output_keys = entry.get("output_keys")
        except FileNotFoundError as e:
            raise errors.NotFoundError(None, None, str(e)) from None
        except (KeyError, TypeError, IndexError, ValueError) as e:
            raise errors.DataLossError(None, None, f"corrupt tapejax SavedModel in "
                                       f"{export_dir}: {e}") from None
        if any(v is None for v in self.reads + self.written):
            raise errors.DataLossError(None, None, f"corrupt tapejax SavedModel in {export_dir}")
        self.unknown_rank = list(entry.get("unknown_rank", ()))
        if any(len(ranks) != len(self.unknown_rank) for ranks in self.programs):
            raise errors.DataLossError(None, None, f"corrupt tapejax SavedModel in {export_dir}")
        self.n_out = len(nest.flatten(self.outputs)) - sum(
            not isinstance(s, TensorSpec) for s in nest.flatten(self.outputs))
        n_out = self.n_out
        n_reads = len(self.reads)
        for ranks, exported in list(self.programs.items()):
            call = jax.jit(exported.call)
            node = lambda *values, call=call: tuple(call(*values)[:n_out])  # noqa: E731
            if entry.get("vjp") is False:
                node = _without_gradient(node)
            self.programs[ranks] = (call, node, exported.in_avals[n_reads:])

    @property
    def variables(self):
        """The Variables the function reads or assigns (TF's captured Variables)."""
        out = []
        for v in self.reads + self.written:
            if not any(v is w for w in out):
                out.append(v)
        return tuple(out)

    @property
    def trainable_variables(self):
        return tuple(v for v in self.variables if v.trainable)

    @property
    def structured_input_signature(self):
        return self.args, self.kwargs

    @property
    def structured_outputs(self):
        return self.outputs

    def __call__(self, *args, **kwargs):
        try:
            tensors = self.bind(args, kwargs)
        except _Mismatch:
            raise TypeError(BIND_FAILED.format(
                reason=f"Can not cast {_describe(args)} to {list(self.args)}", args=args,
                kwargs=kwargs, signature=self.args)) from None
        return self.run(tensors)

    @staticmethod
    def _program(export_dir, name):
        path = os.path.join(export_dir, os.path.basename(name))
        with open(path, "rb") as f:
            blob = bytearray(f.read())
        try:
            return jax_export.deserialize(blob)
        except Exception:  # flatbuffer and MLIR parsers raise anything
            raise errors.DataLossError(None, None, f"corrupt function file {path}") from None

    def bind(self, args, kwargs):
        """The flat tensors of a call, or ``_Mismatch``."""
        template_args, template_kwargs = self.args, self.kwargs
        if self.params is not None:
            values = dict(zip(self.params, args))
            if len(args) > len(self.params) or any(k in values for k in kwargs):
                raise _Mismatch
            values.update(kwargs)
            template = dict(zip(self.params, template_args))
            template.update(template_kwargs)
            for name in self.params:
                if name not in values:
                    if name not in self.defaults:
                        raise _Mismatch
                    values[name] = self.defaults[name]
            if set(values) != set(template):
                raise _Mismatch
            return [t for name in self.params for t in _conform(template[name], values[name])]
        # ``*args``/``**kwargs``: Python values fixed when traced may be left out
        args = list(args) + list(template_args[len(args):])
        kwargs = {**template_kwargs, **kwargs}
        return _conform(list(template_args), args) + _conform(template_kwargs, kwargs)

    def run(self, tensors):
        ranks = tuple(tensors[k].shape.rank for k in self.unknown_rank)
        if ranks not in self.programs:
            raise NotImplementedError(
                f"This tapejax SavedModel function has inputs of unknown rank, saved for ranks "
                f"0 to {C.MAX_UNKNOWN_RANK}; got inputs of ranks {list(ranks)}.")
        call, node, avals = self.programs[ranks]
        for t, aval in zip(tensors, avals):
            if any(not isinstance(d, int) and n == 0 for d, n in zip(aval.shape, t.shape)):
                raise NotImplementedError(
                    f"This tapejax SavedModel function was saved for inputs with unknown "
                    f"dimensions ({aval.shape}), which jax.export takes as at least 1; it "
                    f"cannot run on an empty input of shape {t.shape}.")
        tapes = STACK.tapes
        with _STATE_LOCK:
            reads = [v._tapejax_read() if tapes else v._stored for v in self.reads]
            flat = call(*[r._value for r in reads], *[t._value for t in tensors])
            for v, value in zip(self.written, flat[self.n_out:]):
                v._stored = Tensor(value)
        outputs = [Tensor(o) for o in flat[:self.n_out]]
        if tapes and outputs:
            record(node, (), tuple(reads) + tuple(tensors), tuple(outputs), True)
        it = iter(outputs)
        return nest.pack_sequence_as(self.outputs, [
            next(it) if isinstance(s, TensorSpec) else s for s in nest.flatten(self.outputs)])


NO_GRADIENT = ("This tapejax SavedModel function was saved without its gradient (jax.export "
               "could not export its VJP), so it cannot be differentiated.")


def _without_gradient(fn):
    """``fn`` for the tape: differentiating it raises ``NotImplementedError`` naming why."""
    @jax.custom_vjp
    def node(*values):
        return fn(*values)

    def backward(_, cotangents):
        raise NotImplementedError(NO_GRADIENT)

    node.defvjp(lambda *values: (fn(*values), None), backward)
    return node


class RestoredFunction:
    """A loaded ``tf.function``: calls run the first saved concrete function that accepts the
    arguments (TF's binding), with the Variables' current values."""

    def __init__(self, name, concretes, has_signature):
        self.__name__ = name
        self._concretes = concretes
        self._has_signature = has_signature

    def __call__(self, *args, **kwargs):
        for c in self._concretes:
            try:
                tensors = c.bind(args, kwargs)
            except _Mismatch:
                continue
            return c.run(tensors)
        if self._has_signature:  # TF binds to the input_signature first
            c = self._concretes[0]
            raise TypeError(BIND_FAILED.format(
                reason=f"Can not cast {_describe(args)} to {list(c.args)}", args=args,
                kwargs=kwargs, signature=c.args))
        options = "\n\n".join(
            f"Option {k}:\n  Positional arguments ({len(c.args)} total):\n"
            + "".join(f"    * {a!r}\n" for a in c.args) + f"  Keyword arguments: {c.kwargs}"
            for k, c in enumerate(self._concretes, 1))
        raise ValueError(
            "Could not find matching concrete function to call loaded from the SavedModel. "
            f"Got:\n  Positional arguments ({len(args)} total):\n"
            + "".join(f"    * {a!r}\n" for a in args) + f"  Keyword arguments: {kwargs}\n\n"
            f" Expected these arguments to match one of the following {len(self._concretes)} "
            f"option(s):\n\n{options}")

    @property
    def concrete_functions(self):
        """The saved concrete functions (TF's), each callable, with its ``variables``."""
        return list(self._concretes)

    def __repr__(self):
        return f"<tapejax RestoredFunction {self.__name__}>"


def _describe(args):
    return [TensorSpec(a.shape, a.dtype) if isinstance(a, Tensor) else a for a in args]


class _Signature:
    """A loaded signature: called with keyword tensors, returns a dict of outputs."""

    def __init__(self, key, concrete):
        self.key, self._c = key, concrete
        self._flat_specs = [s for s in nest.flatten(list(concrete.args))
                            if isinstance(s, TensorSpec)]  # not the Python values
        if len(self._flat_specs) != len(concrete.input_names or ()):
            raise errors.DataLossError(None, None, f"corrupt signature {key!r}")

    @property
    def variables(self):
        return self._c.variables

    @property
    def trainable_variables(self):
        return self._c.trainable_variables

    @property
    def structured_input_signature(self):
        return ((), {n: TensorSpec(s.shape, s.dtype, n)
                     for n, s in zip(self._c.input_names, self._flat_specs)})

    @property
    def structured_outputs(self):
        flat = nest.flatten(self._c.outputs) if not isinstance(self._c.outputs, dict) \
            else list(self._c.outputs.values())
        return {k: TensorSpec(s.shape, s.dtype, k) for k, s in zip(self._c.output_keys, flat)}

    def _bind_failed(self, reason, args, kwargs):
        names = ", ".join(f"{n}: {TensorSpec(s.shape, s.dtype, n)!r}"
                          for n, s in zip(self._c.input_names, self._flat_specs))
        return TypeError(BIND_FAILED.format(reason=reason, args=args, kwargs=kwargs,
                                            signature=f"(*, {names})"))

    def __call__(self, *args, **kwargs):
        names = self._c.input_names
        if args:  # TF takes one positional argument for a one-input signature, else none
            if len(args) > 1 or len(names) != 1 or kwargs:
                raise self._bind_failed("too many positional arguments", args, kwargs)
            kwargs = {names[0]: args[0]}
            args = ()
        for name in kwargs:
            if name not in names:
                raise self._bind_failed(f"got an unexpected keyword argument '{name}'", args,
                                        kwargs)
        for name in names:
            if name not in kwargs:
                raise self._bind_failed(f"missing a required argument: '{name}'", args, kwargs)
        for k, (name, spec) in enumerate(zip(names, self._flat_specs)):
            value = kwargs[name]
            if isinstance(value, (Tensor, Variable)) and value.dtype != spec.dtype:
                raise errors.InvalidArgumentError(
                    None, None, f"cannot compute signature_wrapper_{self.key} as input #{k}"
                    f"(zero-based) was expected to be a {_tf_type_name(spec.dtype.name)} tensor "
                    f"but is a {_tf_type_name(value.dtype.name)} tensor")
        try:
            tensors = [t for n, s in zip(names, self._flat_specs) for t in _conform(s, kwargs[n])]
        except _Mismatch:
            raise TypeError(f"signature {self.key!r}: arguments {kwargs} do not match "
                            f"{self.structured_input_signature[1]}") from None
        out = self._c.run(tensors)
        flat = list(out.values()) if isinstance(out, dict) else nest.flatten(out)
        return dict(zip(self._c.output_keys, flat))


class _SignatureMap(Mapping):
    def __init__(self, signatures):
        self._signatures = signatures

    def __getitem__(self, key):
        return self._signatures[key]

    def __iter__(self):
        return iter(self._signatures)

    def __len__(self):
        return len(self._signatures)

    def __repr__(self):
        return f"_SignatureMap({list(self._signatures)})"


def contains_saved_model(export_dir):
    """Whether ``export_dir`` holds a SavedModel (TF's or tapejax's)."""
    export_dir = os.fspath(export_dir)
    return any(os.path.isfile(os.path.join(export_dir, n)) for n in (
        C.TAPEJAX_FILENAME, C.SAVED_MODEL_FILENAME_PB, C.SAVED_MODEL_FILENAME_PBTXT))


def _read_index(export_dir):
    path = os.path.join(export_dir, C.TAPEJAX_FILENAME)
    if not os.path.isfile(path):
        if os.path.isfile(os.path.join(export_dir, C.SAVED_MODEL_FILENAME_PB)):
            raise NotImplementedError(f"{export_dir} is a TensorFlow SavedModel "
                                      "(saved_model.pb); tapejax loads only its own SavedModels.")
        raise OSError(f"SavedModel file does not exist at: {export_dir}/"
                      f"{{{C.TAPEJAX_FILENAME}|{C.SAVED_MODEL_FILENAME_PB}}}")
    try:
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise OSError(f"Cannot parse file {path!r}: {e}") from None
    if not isinstance(index, dict) or index.get("format") != "tapejax.saved_model" or \
            index.get("version") != C.FORMAT_VERSION:
        raise OSError(f"Cannot parse file {path!r}: not a version {C.FORMAT_VERSION} "
                      "tapejax SavedModel")
    return index


def _variables(index, export_dir):
    """Node id -> new Variable, with the saved values (all read before any is made)."""
    prefix = os.path.join(export_dir, C.VARIABLES_DIRECTORY, C.VARIABLES_FILENAME)
    specs = {k: n["variable"] for k, n in enumerate(index["nodes"]) if "variable" in n}
    try:
        reader = _bundle.BundleReader(prefix)
        values = {k: reader.read(spec["key"]) for k, spec in specs.items()}
    except FileNotFoundError as e:
        raise errors.NotFoundError(None, None, str(e)) from None
    except KeyError as e:
        raise errors.NotFoundError(None, None, f"Key {e} not found in checkpoint") from None
    out = {}
    for k, spec in specs.items():
        name = spec["name"]
        out[k] = Variable(values[k], trainable=spec["trainable"],
                          name=name[:-2] if name.endswith(":0") else name)
    return out


def _graph(index, variables):
    """Node id -> loaded object (``_UserObject``, Variable, list, tuple or dict)."""
    nodes = index["nodes"]
    objects = dict(variables)

    def build(k):
        if k in objects:
            return objects[k]
        node = nodes[k]
        kind = node.get("container")
        if kind in ("list", "dict"):
            obj = objects[k] = [] if kind == "list" else {}
            for name, child in node["children"]:
                if kind == "list":
                    obj.append(build(child))
                else:
                    obj[name] = build(child)
            return obj
        if kind == "tuple":
            objects[k] = obj = tuple(build(child) for _, child in node["children"])
            return obj
        obj = objects[k] = _UserObject()
        for name, child in node["children"]:
            setattr(obj, name, build(child))
        return obj

    for k in range(len(nodes)):
        build(k)
    return objects


def load(export_dir, tags=None, options=None):
    """Loads a SavedModel written by ``tapejax.saved_model.save`` (TF's ``tf.saved_model.load``
    for the objects tapejax saves)."""
    options = LoadOptions() if options is None else options
    options.check()
    if tags is not None and set(nest.flatten(tags)) != {C.SERVING}:
        raise NotImplementedError("tapejax SavedModels hold one MetaGraph, tagged 'serve'; "
                                  f"got tags={tags!r}.")
    export_dir = os.fspath(export_dir)
    index = _read_index(export_dir)
    try:
        variables = _variables(index, export_dir)
        by_node = [variables.get(k) for k in range(len(index["nodes"]))]
        functions = []
        for k, node in enumerate(index["nodes"]):
            for name, fn in node.get("functions", {}).items():
                concretes = [_Concrete(e, export_dir, by_node) for e in fn["concrete"]]
                functions.append((k, name, concretes, bool(fn["input_signature"])))
        signatures = {key: _Signature(key, _Concrete(e, export_dir, by_node))
                      for key, e in index["signatures"].items()}
        aliases = {}
        if options.experimental_load_function_aliases:
            aliases = {alias: RestoredFunction(alias, [_Concrete(e, export_dir, by_node)
                                                       for e in entries], False)
                       for alias, entries in index.get("function_aliases", {}).items()}
        objects = _graph(index, variables)
    except (KeyError, TypeError, IndexError, AttributeError) as e:
        raise errors.DataLossError(None, None, f"corrupt tapejax SavedModel in {export_dir}: "
                                   f"{e!r}") from None
    for k, name, concretes, has_signature in functions:
        fn = RestoredFunction(name, concretes, has_signature)
        if name == "__call__":  # Python looks up ``obj(...)`` on the class
            obj = objects[k]
            obj.__class__ = type("_UserObject", (_UserObject,), {
                "__call__": staticmethod(fn), "__module__": __name__})
        setattr(objects[k], name, fn)
    root = objects[0]
    if isinstance(root, _UserObject):
        root.signatures = _SignatureMap(signatures)
        if options.experimental_load_function_aliases:
            root.function_aliases = aliases
    return root
