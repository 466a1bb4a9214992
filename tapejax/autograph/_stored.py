"""AutoGraph's generated code kept on disk beside the compilation cache (beyond TF).

TF's AutoGraph converts a function's source anew in every process; malt's passes take 20-70 ms a
function, up to half of a ``tapejax.function``'s first call when its compiled program comes from
the persistent cache. The generated module, its factory's name and its source map are kept in
``<compilation cache>/tapejax-autograph`` and loaded by a later process instead of converting.

An entry's key holds everything the conversion reads: the function's source text, file, first
line and free variables, its ``__future__`` imports, the conversion options, the names of its
namespace (malt's namer avoids them), what each name its code uses is bound to (malt's
directives converter resolves ``set_loop_options`` through them), and the versions of Python,
malt and tapejax's transpiler. Lambdas and functions without a source file are not stored. An
entry that cannot be read or loaded is ignored and the function converted again.
"""
import hashlib
import importlib.metadata
import inspect
import json
import os
import sys
import tempfile
import types

from malt.pyct import inspect_utils, loader, origin_info, transpiler

from .. import _compilation_cache

_TRANSPILER_FILES = ("_conversion.py", "_stored.py")
_VERSION = {}


def directory():
    """Where entries go, or None when the compilation cache is off."""
    info = _compilation_cache.info()
    if not info["enabled"]:
        return None
    return os.path.join(info["directory"], _compilation_cache.AUTOGRAPH_SUBDIRECTORY)


def _transpiler_version():
    if not _VERSION:
        malt = importlib.metadata.version("diastatic-malt")
        digest = hashlib.sha256(f"{sys.version}|{malt}".encode())
        here = os.path.dirname(__file__)
        for name in _TRANSPILER_FILES:
            with open(os.path.join(here, name), "rb") as f:
                digest.update(f.read())
        _VERSION["digest"] = digest.hexdigest()
    return _VERSION["digest"]


def _used_names(code):
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _used_names(const)
    return names


def _binding(value):
    try:
        if inspect.ismodule(value):
            return ("module", value.__name__)
        module, qualname = value.__module__, value.__qualname__
        if isinstance(module, str) and isinstance(qualname, str):
            return ("named", module, qualname)
    except Exception:  # an object whose attributes cannot be read is described by its type
        pass
    return ("value", type(value).__module__, type(value).__qualname__)


def _options(opts):
    return [opts.recursive, opts.user_requested, opts.internal_convert_user_code,
            sorted(str(feature) for feature in opts.optional_features)]


def key(fn, opts):
    """The entry's name for ``fn`` converted with ``opts``, or None when it is not stored."""
    code = getattr(fn, "__code__", None)
    if (directory() is None or code is None or inspect_utils.islambda(fn)
            or not os.path.isfile(code.co_filename)):
        return None
    try:
        source = inspect_utils.getimmediatesource(fn)
    except (OSError, TypeError):
        return None
    namespace = inspect_utils.getnamespace(fn)
    used = sorted(name for name in _used_names(code) if name in namespace)
    described = [[name, *_binding(namespace[name])] for name in used]
    parts = [_transpiler_version(), code.co_filename, code.co_firstlineno, source,
             list(code.co_freevars), list(inspect_utils.getfutureimports(fn)), _options(opts),
             sorted(namespace), described]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def load(fn, name, extra_locals):
    """The factory malt keeps per converted function, from the entry ``name``, or None."""
    folder = directory()
    if folder is None or name is None:
        return None
    path = os.path.join(folder, name + ".json")
    try:
        with open(path, encoding="utf-8") as f:
            entry = json.load(f)
        module, _ = loader.load_source(entry["source"], delete_on_exit=True)
        unbound = getattr(module, entry["outer"])()
        if sorted(unbound.__code__.co_freevars) != sorted(fn.__code__.co_freevars):
            raise ValueError("closure mismatch")
        source_map = {
            origin_info.LineLocation(module.__file__, line): origin_info.OriginInfo(
                origin_info.Location(filename, lineno, col), function, code_line, comment)
            for line, filename, lineno, col, function, code_line, comment in entry["source_map"]}
    except Exception:  # none, damaged or stale (any error of reading or running it): convert anew
        return None
    factory = transpiler._PythonFnFactory(entry["name"], fn.__code__.co_freevars, extra_locals)
    factory._unbound_factory, factory.module, factory.source_map = unbound, module, source_map
    return factory


def store(name, converted, module, source_map):
    """Writes the entry ``name`` for a fresh conversion, atomically; never fails."""
    folder = directory()
    if folder is None or name is None:
        return
    outer = [v for v in vars(module).values()
             if inspect.isfunction(v) and v.__module__ == module.__name__]
    if len(outer) != 1:
        return
    try:
        with open(module.__file__, encoding="utf-8") as f:
            source = f.read()
        entry = {"name": converted.__name__, "outer": outer[0].__name__, "source": source,
                 "source_map": [[loc.lineno, o.loc.filename, o.loc.lineno, o.loc.col_offset,
                                 o.function_name, o.source_code_line, o.comment]
                                for loc, o in source_map.items()]}
        os.makedirs(folder, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f)
            os.replace(temporary, os.path.join(folder, name + ".json"))
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, TypeError, ValueError):
        pass
