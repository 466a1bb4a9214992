"""``tf.saved_model.save``: each concrete function of the object graph exported with
``jax.export`` as ``(values of the Variables it reads, tensors) -> (outputs, new values of the
Variables it assigns)``; the Variables go to a TF-format checkpoint by ``tapejax.train``.

Everything is exported in memory first; files are written only when all succeeded, and the
JSON index last (by rename), so a failed save leaves no loadable half-written model.
"""
import copy
import hashlib
import itertools
import json
import os

import jax
import numpy as np
from jax import export as jax_export

from .. import nest
from .._concrete_function import symbolic_trace
from ..function import CREATE_ON_LATER_CALL, ConcreteFunction, Function, _fill, _signature_key
from ..tensor_spec import TensorSpec
from ..train import _object_graph
from ..train.checkpoint import write_checkpoint
from ..variables import Variable
from . import _constants as C, _structure, _view
from ._options import SaveOptions


def _check_ranks(specs, where):
    if any(spec.shape.rank is None for spec in specs):
        raise NotImplementedError(f"tapejax.saved_model cannot save {where} for an "
                                  "input of unknown rank.")


def _rank_variants(dyn, where):
    """``[(ranks, specs)]``: ``dyn`` once, or, where inputs have unknown rank (``TensorSpec(
    None)``, which ``jax.export`` cannot express), once per rank 0..``MAX_UNKNOWN_RANK`` of
    each of them, every dimension unknown."""
    unknown = [k for k, t in enumerate(dyn) if t.shape.rank is None]
    if not unknown:
        return [((), list(dyn))]
    if len(unknown) > C.MAX_UNKNOWN_RANK_INPUTS:
        raise NotImplementedError(
            f"tapejax.saved_model cannot save {where}: it has {len(unknown)} inputs of unknown "
            f"rank (at most {C.MAX_UNKNOWN_RANK_INPUTS}, each exported for ranks 0 to "
            f"{C.MAX_UNKNOWN_RANK}).")
    out = []
    for ranks in itertools.product(range(C.MAX_UNKNOWN_RANK + 1), repeat=len(unknown)):
        specs = list(dyn)
        for k, r in zip(unknown, ranks):
            specs[k] = TensorSpec([None] * r, dyn[k].dtype, dyn[k].name)
        out.append((list(ranks), specs))
    return out


def _merge_specs(specs):
    """The most specific TensorSpec every one of ``specs`` (same dtype) fits."""
    first = specs[0]
    if any(s.shape.rank != first.shape.rank for s in specs):
        return TensorSpec(None, first.dtype)
    dims = [d if all(s.shape.as_list()[k] == d for s in specs) else None
            for k, d in enumerate(first.shape.as_list())]
    return TensorSpec(dims, first.dtype)


def _spec_of(aval):
    shape = [d if isinstance(d, int) else None for d in aval.shape]
    return TensorSpec(shape, aval.dtype)


def _export(cf, var_index, where, cache):
    """``(entry JSON, {file name: serialized program})`` of one ConcreteFunction: one program,
    or one per rank of its unknown-rank inputs (``entry["variants"]``). ``cache`` keeps each
    function's export for the rest of one save (a function that is also a signature)."""
    if id(cf) in cache:
        entry, files = cache[id(cf)][1:]
        return copy.deepcopy(entry), files
    entry, files = _export_new(cf, var_index, where)
    cache[id(cf)] = (cf, copy.deepcopy(entry), files)
    return entry, files


def _export_new(cf, var_index, where):
    owner = cf._owner
    args, kwargs = cf._template
    _, dyn, var_args = _signature_key(args, kwargs)
    if var_args or any(type(t) is not TensorSpec for t in dyn):
        raise NotImplementedError(f"tapejax.saved_model cannot save {where}: its traced "
                                  "arguments hold tensor or Variable values, not TensorSpecs.")
    variants, files, out_specs, entry = [], {}, [], None
    for ranks, specs in _rank_variants(dyn, where):
        part, blob, outs = _export_one(owner, args, kwargs, specs, var_index, where)
        if entry is not None and (part["reads"], part["written"]) != (
                entry["reads"], entry["written"]):
            raise NotImplementedError(f"tapejax.saved_model cannot save {where}: it uses "
                                      "different Variables for inputs of different ranks.")
        entry = entry or part
        name = _file_name(blob)
        files[name] = blob
        variants.append({"ranks": ranks, "file": name})
        out_specs.append(outs)
    if len(variants) == 1:
        entry["file"] = variants[0]["file"]
    else:
        entry["variants"] = variants
        entry["unknown_rank"] = [k for k, t in enumerate(dyn) if t.shape.rank is None]
        structure, static = entry.pop("_info")
        merged = iter([_merge_specs(list(group)) for group in zip(*out_specs)])
        entry["outputs"] = _structure.encode(
            nest.pack_sequence_as(structure, _fill(static, merged)), where)
    entry.pop("_info", None)
    params = cf._params()
    defaults = {} if params is None else {
        p.name: p.default for p in owner._signature.parameters.values()
        if p.default is not p.empty and type(p.default) in _structure.LITERALS}
    entry.update({
        "params": None if params is None else [name for name, _, _ in params],
        "defaults": defaults,
        "args": _structure.encode(tuple(args), where),
        "kwargs": _structure.encode(dict(kwargs), where),
    })
    return entry, files


def _export_one(owner, args, kwargs, dyn, var_index, where):
    """``(entry part, serialized program, output specs)`` for inputs of known ranks."""
    _check_ranks(dyn, where)
    try:
        traced, avals = symbolic_trace(owner, args, kwargs, dyn, CREATE_ON_LATER_CALL)
    except Exception as e:  # an op that needs a static size, raised as JAX says
        if all(spec.shape.is_fully_defined() for spec in dyn):
            raise
        raise NotImplementedError(
            f"tapejax.saved_model cannot save {where} for inputs with unknown dimensions "
            f"({[t.shape for t in dyn]}): an op in it needs them known ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}). Save a function with a fully "
            "defined input_signature instead.") from e
    if traced.summaries is not None:
        raise NotImplementedError(f"tapejax.saved_model cannot save {where}: it writes "
                                  "tf.summary values.")
    for v in traced.reads + traced.written:
        if id(v) not in var_index:
            raise ValueError(f"{where} uses Variable {v.name!r}, which is not tracked by the "
                             "saved object: assign it to an attribute of the object to save.")
    n_keep = traced.n_out + len(traced.written)
    run = jax.extend.core.jaxpr_as_fun(traced.jaxpr)

    def program(*flat):
        return tuple(run(*flat)[:n_keep])

    read_avals = [jax.ShapeDtypeStruct(tuple(v.shape), np.dtype(v.dtype.as_numpy_dtype))
                  for v in traced.reads]
    exported = jax_export.export(jax.jit(program), platforms=C.PLATFORMS)(*read_avals, *avals)
    has_vjp = True
    try:
        blob = exported.serialize(vjp_order=1)
    except ValueError:  # jax.export fails to export some programs' VJP: saved without it
        blob, has_vjp = exported.serialize(vjp_order=0), False
    structure, static = traced.info
    out_specs = [_spec_of(a) for a in exported.out_avals[:traced.n_out]]
    outputs = nest.pack_sequence_as(structure, _fill(static, iter(out_specs)))
    part = {
        "outputs": _structure.encode(outputs, where),
        "reads": [var_index[id(v)] for v in traced.reads],
        "written": [var_index[id(v)] for v in traced.written],
        "_info": traced.info,
    }
    if not has_vjp:
        part["vjp"] = False
    return part, blob, out_specs


def _concretes(fn):
    """The ConcreteFunctions of ``fn`` a SavedModel keeps (TF keeps every traced one)."""
    if isinstance(fn, ConcreteFunction):
        return [fn]
    if fn.input_signature is not None:
        return [fn.get_concrete_function()]
    return sorted((cf for group in fn._concrete.values() for cf in group),
                  key=lambda cf: cf._number)  # in tracing order


def _functions(obj):
    """``[(attribute name, Function or ConcreteFunction)]`` held by ``obj``."""
    if isinstance(obj, _view.Node):
        return sorted(obj.functions.items())
    found = {}
    for klass in reversed(type(obj).__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Function):
                found[name] = getattr(obj, name)
    for name, value in getattr(obj, "__dict__", {}).items():
        if isinstance(value, (Function, ConcreteFunction)):
            found[name] = value
    return sorted(found.items())


def _positional_names(fn, n):
    """TF's names of ``fn``'s first ``n`` positional arguments: the parameters' names, then
    ``args_0``, ``args_1``, … for ``*args``."""
    owner, names = fn._owner, []
    if owner._signature is not None:
        params = list(owner._signature.parameters.values())[owner._instance is not None:]
        names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                     p.POSITIONAL_OR_KEYWORD)][:n]
    return names + [f"args_{k}" for k in range(n - len(names))]


def _unique(names):
    """TF's signature input names: a repeated name gets ``_1``, ``_2``, … (graph names)."""
    used, out = set(), []
    for name in names:
        k, unique = 0, name
        while unique in used:
            k += 1
            unique = f"{name}_{k}"
        used.add(unique)
        out.append(unique)
    return out


def _signature_entry(key, fn, var_index, cache):
    where = f"signature {key!r}"
    if isinstance(fn, Function):
        if fn.input_signature is None:
            raise ValueError(f"Function {fn.name} used as signature {key!r} has no "
                             "input_signature: pass fn.get_concrete_function(...) instead.")
        fn = fn.get_concrete_function()
    if not isinstance(fn, ConcreteFunction):
        raise ValueError(f"Expected a TensorFlow function for signature {key!r}, got {fn!r}.")
    entry, files = _export(fn, var_index, where, cache)
    args, kwargs = fn._template  # Python values in them were fixed when traced
    if any(isinstance(t, TensorSpec) for t in nest.flatten(kwargs)):
        raise NotImplementedError(f"tapejax.saved_model saves a signature ({key!r}) only for "
                                  "a function whose tensor arguments are positional.")
    entry["input_names"] = _unique([
        spec.name or name for name, arg in zip(_positional_names(fn, len(args)), args)
        for spec in nest.flatten(arg) if isinstance(spec, TensorSpec)])
    outputs = _structure.decode(entry["outputs"])
    if isinstance(outputs, dict):
        keys = list(outputs)
        flat = list(outputs.values())
    elif isinstance(outputs, (list, tuple)):
        keys, flat = [f"output_{k}" for k in range(len(outputs))], list(outputs)
    else:
        keys, flat = ["output_0"], [outputs]
    if not all(isinstance(t, TensorSpec) for t in flat):
        raise ValueError(f"Signature {key!r} must return tensors, a flat list/tuple of "
                         "tensors or a flat dict of tensors.")
    entry["output_keys"] = keys
    return entry, files


def save(obj, export_dir, signatures=None, options=None):
    """Saves ``obj`` (a ``tf.Module``) with its functions, Variables and ``signatures``
    (a function, or a dict from signature key to function) to ``export_dir``."""
    options = SaveOptions() if options is None else options
    options.check()
    export_dir = os.fspath(export_dir)
    if _view.needed(obj):  # Keras objects: saved as TF's SavedModel view of them
        obj = _view.build(obj)
    objects, paths, edges = _object_graph.walk(obj)
    var_index = {id(o): k for k, o in enumerate(objects) if isinstance(o, Variable)}
    blobs, nodes, cache = {}, [], {}
    for k, o in enumerate(objects):
        node = {"children": edges[k]}
        if isinstance(o, Variable):
            node["variable"] = {"key": _object_graph.variable_key(paths[k]), "name": o.name,
                                "trainable": bool(o.trainable)}
        elif isinstance(o, (list, tuple, dict)):
            node["container"] = type(o).__name__ if type(o) in (list, tuple) else "dict"
        else:
            functions = {}
            for name, fn in _functions(o):
                where = f"function {'.'.join(paths[k] + (name,)) or name!r}"
                entries = []
                for cf in _concretes(fn):
                    entry, files = _export(cf, var_index, where, cache)
                    blobs.update(files)
                    entries.append(entry)
                functions[name] = {"concrete": entries, "input_signature":
                                   isinstance(fn, Function) and fn.input_signature is not None}
            node["functions"] = functions
        nodes.append(node)
    saved_signatures, ready = {}, {}
    if signatures is None:
        # TF: the root's one function with an input_signature that makes a valid signature
        # (tensor arguments; tensors, a flat list/tuple or dict of them returned), if one.
        key = C.DEFAULT_SERVING_SIGNATURE_DEF_KEY
        found = []
        for name, fn in _functions(obj):
            if name == _view.DEFAULT_SIGNATURE_ATTR:  # a Keras model's: always the signature
                found = [_signature_entry(key, fn, var_index, cache)]
                break
            if isinstance(fn, Function) and fn.input_signature is not None:
                try:
                    found.append(_signature_entry(key, fn, var_index, cache))
                except (ValueError, NotImplementedError):
                    continue
        ready = {key: found[0]} if len(found) == 1 else {}
        signatures = {}
    elif not isinstance(signatures, dict):
        signatures = {C.DEFAULT_SERVING_SIGNATURE_DEF_KEY: signatures}
    for key, fn in list(signatures.items()) + list(ready.items()):
        entry, files = fn if key in ready else _signature_entry(key, fn, var_index, cache)
        blobs.update(files)
        saved_signatures[key] = entry
    aliases = {}
    for alias, fns in (options.function_aliases or {}).items():
        entries = aliases[alias] = []
        for fn in fns if isinstance(fns, (list, tuple)) else [fns]:
            if not isinstance(fn, (Function, ConcreteFunction)):
                raise TypeError(f"function_aliases[{alias!r}] must be a tf.function or a "
                                f"ConcreteFunction, got {type(fn).__name__}.")
            for cf in _concretes(fn):
                entry, files = _export(cf, var_index, f"function alias {alias!r}", cache)
                blobs.update(files)
                entries.append(entry)
    index = {"format": "tapejax.saved_model", "version": C.FORMAT_VERSION,
             "platforms": list(C.PLATFORMS), "nodes": nodes, "signatures": saved_signatures,
             "function_aliases": aliases}
    _write(export_dir, obj, index, blobs)


def _file_name(blob):
    """Programs are named by content: a new save never overwrites a file the previous
    ``tapejax_saved_model.json`` in the same directory names."""
    return f"function_{hashlib.sha256(blob).hexdigest()[:24]}.stablehlo"


def _write(export_dir, obj, index, blobs):
    os.makedirs(os.path.join(export_dir, C.ASSETS_DIRECTORY), exist_ok=True)
    os.makedirs(os.path.join(export_dir, C.VARIABLES_DIRECTORY), exist_ok=True)
    for name, blob in blobs.items():
        path = os.path.join(export_dir, name)
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(blob)
            os.replace(path + ".tmp", path)
    write_checkpoint(obj, os.path.join(export_dir, C.VARIABLES_DIRECTORY, C.VARIABLES_FILENAME))
    path = os.path.join(export_dir, C.TAPEJAX_FILENAME)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(index, f)
    os.replace(path + ".tmp", path)
    for name in os.listdir(export_dir):  # programs of an earlier save in this directory
        if name.startswith("function_") and name.endswith(".stablehlo") and name not in blobs:
            os.remove(os.path.join(export_dir, name))
