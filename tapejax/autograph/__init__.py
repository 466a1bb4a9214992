"""``tf.autograph``: Python ``if``/``for``/``while`` on tensors staged as ``tf.cond`` and
``tf.while_loop`` (TF's AutoGraph, on the ``diastatic-malt`` source transformer).

``tapejax.function`` converts the decorated function and the functions it calls; ``to_graph``
and ``to_code`` expose the conversion, ``experimental.do_not_convert`` opts a function out.
"""
import functools
import inspect
import textwrap

from malt.core import converter as _converter
from malt.impl import api as _malt_api
from malt.utils import ag_logging as _logging

from . import _conversion, experimental as experimental

set_verbosity = _logging.set_verbosity
trace = _logging.trace


def _features(optional_features):
    if optional_features is None:
        return None
    if isinstance(optional_features, _converter.Feature):
        return (optional_features,)
    return tuple(optional_features)


def function_options(autograph, experimental_autograph_options=None):
    """The conversion options of a ``tapejax.function`` (None: ``autograph=False``)."""
    if not autograph:
        return None
    return _conversion.options(features=_features(experimental_autograph_options))


def converted(fn, opts):
    """``fn`` run through AutoGraph with ``opts`` (as ``tf.function`` calls it)."""
    if opts is True:
        opts = _conversion.options()
    @functools.wraps(fn)
    def run(*args, **kwargs):
        return _conversion.call(fn, opts, args, kwargs)
    return run


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """``tf.autograph.to_graph``: the converted function (its tensor control flow staged when
    traced; plain Python on eager values)."""
    opts = _conversion.options(recursive=recursive,
                               features=_features(experimental_optional_features))
    target = getattr(entity, "python_function", None) or entity
    try:
        return _conversion.transform(target, opts)
    except (ValueError, AttributeError, KeyError, NameError, AssertionError) as e:
        raise _malt_api.ConversionError(
            f"converting {entity}: {type(e).__name__}: {e}") from None


def to_code(entity, recursive=True, experimental_optional_features=None):
    """``tf.autograph.to_code``: the source code AutoGraph generates for ``entity``."""
    return textwrap.dedent(inspect.getsource(to_graph(
        entity, recursive=recursive,
        experimental_optional_features=experimental_optional_features)))

