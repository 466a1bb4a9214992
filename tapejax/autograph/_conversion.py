"""The AutoGraph transpiler (``diastatic-malt``) wired to tapejax's operators.

``converted_call`` follows TF's recursive conversion rules: user functions, methods, lambdas and
callable objects called from converted code are converted too; builtins are overloaded; code
from the do-not-convert list (tapejax, JAX, NumPy, the standard-library modules TF skips, and
functions marked ``do_not_convert``) runs as written. Errors raised in converted code are
re-raised with TF's "in user code:" message, which names the user's own lines.
"""
import ast
import functools
import importlib
import inspect
import os
import traceback

from malt.core import ag_ctx, converter
from malt.impl import api as malt_api, conversion
from malt.operators import py_builtins
from malt.pyct import anno, errors as pyct_errors, origin_info, qual_names

from .. import errors
from ..ops import array_ops
from ..tensor import TensorLike
from . import _stored, operators

_SKIPPED_PACKAGES = ("tapejax", "jax", "jaxlib", "numpy", "optax", "malt")
_LIBRARY_DIRS = tuple(os.path.dirname(importlib.import_module(p).__file__) + os.sep
                      for p in ("tapejax", "jax", "malt"))
_SOURCE_MAP = {}  # generated line -> user origin, for every converted function
_BUILTIN_TYPES = (range, int, float, bool, enumerate, zip, map, filter)  # classes, not builtins


class _HandlerName(str):
    """The ``name`` of ``except E as name``. malt parses with Python's ``ast``, which holds it
    as a str, while malt's analyses treat it as a node (as in ``gast``, which TF's AutoGraph
    uses) and fail on every such handler; this str takes their annotations."""
    _fields = ()


def _name_handlers(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and type(node.name) is str:
            node.name = _HandlerName(node.name)
            anno.setanno(node.name, anno.Basic.QN, qual_names.QN(str(node.name)))


class _Transpiler(malt_api.PyToPy):
    """malt's transformer with tapejax's operators as the generated code's ``ag__``."""

    def get_transformed_name(self, node):
        return "tf__" + super(malt_api.PyToPy, self).get_transformed_name(node)

    def transform_ast(self, node, ctx):
        _name_handlers(node)
        return super().transform_ast(node, ctx)

    def transform_function(self, fn, user_context):
        """malt's, with its per-process cache primed from and written to ``_stored``."""
        options = self.get_caching_key(user_context)
        if self._cache.has(fn, options):
            return super().transform_function(fn, user_context)
        name = _stored.key(fn, options)
        factory = _stored.load(fn, name, self.get_extra_locals())
        if factory is not None:
            with self._cache_lock:
                if not self._cache.has(fn, options):
                    self._cache[fn][options] = factory
            return super().transform_function(fn, user_context)
        converted, module, source_map = super().transform_function(fn, user_context)
        _stored.store(name, converted, module, source_map)
        return converted, module, source_map

    def get_extra_locals(self):
        if self._extra_locals is None:
            extra = super().get_extra_locals()
            module = extra["ag__"]
            for name in ("if_stmt", "while_stmt", "for_stmt", "if_exp", "and_", "or_", "not_",
                         "assert_stmt"):
                setattr(module, name, getattr(operators, name))
            module.converted_call = converted_call
        return self._extra_locals


_TRANSPILER = _Transpiler()


def options(recursive=True, user_requested=True, features=None):
    return converter.ConversionOptions(recursive=recursive, user_requested=user_requested,
                                       optional_features=features)


def _skipped(f):
    """TF's do-not-convert rule: library code (by module, or by the file of its code, which
    ``functools.wraps`` cannot disguise) and malt's list of modules."""
    module = getattr(inspect.getmodule(f), "__name__", "") or ""
    if module.split(".")[0] in _SKIPPED_PACKAGES:
        return True
    code = getattr(getattr(f, "__func__", f), "__code__", None)
    if code is not None and code.co_filename.startswith(_LIBRARY_DIRS):
        return True
    return conversion.is_allowlisted(f)


def transform(f, opts):
    """The converted form of the Python function ``f`` (cached by malt per code object)."""
    converted, _, source_map = _TRANSPILER.transform(f, converter.ProgramContext(options=opts))
    _SOURCE_MAP.update(source_map)
    malt_api.autograph_artifact(converted)
    return converted


def _builtin(f, args, kwargs, opts):
    if f is range and any(isinstance(a, TensorLike) for a in args):
        return operators.make_range(*args)
    if f is print and opts.uses(converter.Feature.BUILTIN_FUNCTIONS):
        return operators.print_(*args, **(kwargs or {}))
    if any(f is b for b in (eval, super, globals, locals)):
        raise NotImplementedError(f"{f.__name__}() is not supported in converted code")
    return py_builtins.overload_of(f)(*args, **(kwargs or {}))


def converted_call(f, args, kwargs, caller_fn_scope=None, options=None):
    """Calls ``f`` from converted code, converting it first where TF's rules say to."""
    opts = options if options is not None else caller_fn_scope.callopts
    if f is array_ops.range:
        return operators.make_range(*args, **(kwargs or {}))
    if ag_ctx.control_status_ctx().status == ag_ctx.Status.DISABLED or \
            malt_api.is_autograph_artifact(f):
        return f(*args, **(kwargs or {}))
    if isinstance(f, functools.partial):
        return converted_call(f.func, f.args + tuple(args), {**f.keywords, **(kwargs or {})},
                              caller_fn_scope, opts)
    if inspect.isbuiltin(f) or any(f is b for b in _BUILTIN_TYPES):
        return _builtin(f, args, kwargs, opts)
    if inspect.isclass(f) or not opts.internal_convert_user_code or _skipped(f):
        return f(*args, **(kwargs or {}))
    if inspect.ismethod(f) or inspect.isfunction(f):
        target, effective = f, tuple(args)
        if getattr(f, "__self__", None) is not None:
            target, effective = f.__func__, (f.__self__,) + effective
    elif callable(f):
        target, effective = type(f).__call__, (f,) + tuple(args)
        if _skipped(target):
            return f(*args, **(kwargs or {}))
    else:
        return f(*args, **(kwargs or {}))
    code = getattr(target, "__code__", None)
    if code is None or code.co_filename == "<string>":
        return f(*args, **(kwargs or {}))
    try:
        converted = transform(target, opts)
    except (pyct_errors.PyCTError, OSError, TypeError, ValueError, SyntaxError) as e:
        return malt_api._fall_back_unconverted(f, args, kwargs, opts, e)  # warns as TF
    return converted(*effective, **(kwargs or {}))


# --- errors pointing at the user's code ---------------------------------------------------------
def _user_frames(tb):
    frames = []
    for frame in traceback.extract_tb(tb):
        origin = _SOURCE_MAP.get(origin_info.LineLocation(frame.filename, frame.lineno))
        if origin is not None:
            if frames and frames[-1][:2] == (origin.loc.filename, origin.loc.lineno):
                continue  # the generated helpers of one statement map to its line
            frames.append((origin.loc.filename, origin.loc.lineno, origin.function_name,
                           origin.source_code_line, True))
        elif not frame.filename.startswith(_LIBRARY_DIRS) and "site-packages" not in \
                frame.filename and frames:
            frames.append((frame.filename, frame.lineno, frame.name, frame.line, False))
    return frames


def user_error(e):
    """``e`` with TF's "in user code:" message naming the user's lines, or None to keep ``e``."""
    frames = _user_frames(e.__traceback__)
    if not frames:
        return None
    lines = ["in user code:", ""]
    for filename, lineno, name, code, converted in frames:
        lines.append(f'    File "{filename}", line {lineno}, in {name}' + ("  *" if converted
                                                                             else ""))
        lines.append(f"        {(code or '<source unavailable>').strip()}")
    lines.append("")
    lines.extend("    " + line for line in f"{type(e).__name__}: {e}".split("\n"))
    lines.append("")
    message = "\n".join(lines)
    cls = type(e)
    if isinstance(e, errors.OpError):
        new = cls(e.node_def, e.op, message)
    elif issubclass(cls, pyct_errors.PyCTError) or cls.__init__ in (
            Exception.__init__, TypeError.__init__, ValueError.__init__,
            NotImplementedError.__init__, RuntimeError.__init__, AttributeError.__init__,
            NameError.__init__, AssertionError.__init__, IndexError.__init__):
        try:
            new = cls(message)
        except TypeError:
            return None
    else:
        return None
    return new.with_traceback(e.__traceback__)


def call(f, opts, args, kwargs):
    """Runs ``f`` converted (the entry point of ``tf.function`` and ``to_graph``)."""
    try:
        return converted_call(f, args, kwargs, options=opts)
    except Exception as e:  # re-raised, with the user's lines in the message
        new = user_error(e)
        if new is None:
            raise
        raise new from None

