"""``tf.profiler.experimental``: ``start``/``stop``, ``Profile``, ``Trace`` on ``jax.profiler``.

``start(logdir)`` records a trace of everything JAX runs (compilation, XLA programs, host
callbacks, Python ``Trace`` annotations) and ``stop()`` writes it under
``logdir/plugins/profile/<run>/`` as ``*.xplane.pb``: TensorBoard's Profile dashboard (the
``tensorboard-plugin-profile`` package) opens ``logdir``; Perfetto or ``xprof`` open the files.
One profile runs at a time, as in TF.
"""
import collections
import threading

import jax

from ... import errors
from . import server as server

_LOCK = threading.Lock()
_RUNNING = []

ProfilerOptions = collections.namedtuple(
    "ProfilerOptions", ["host_tracer_level", "python_tracer_level", "device_tracer_level",
                        "delay_ms"])
ProfilerOptions.__new__.__defaults__ = (2, 0, 1, None)
ProfilerOptions.__doc__ = """TF's profiler options; levels map onto ``jax.profiler.ProfileOptions``.

``host_tracer_level`` (0-3) and ``python_tracer_level`` (0-1) are passed to JAX;
``device_tracer_level`` 0 is refused (JAX always traces devices) and ``delay_ms`` is not
supported."""


def _jax_options(options):
    if options is None:
        return None
    if not isinstance(options, ProfilerOptions):
        raise TypeError(f"options must be a tf.profiler.experimental.ProfilerOptions, got "
                        f"{options!r}")
    if options.delay_ms:
        raise NotImplementedError("ProfilerOptions.delay_ms is not supported")
    if options.device_tracer_level == 0:
        raise NotImplementedError("ProfilerOptions.device_tracer_level=0 is not supported "
                                  "(JAX always traces devices)")
    jax_options = jax.profiler.ProfileOptions()
    jax_options.host_tracer_level = options.host_tracer_level
    jax_options.python_tracer_level = options.python_tracer_level
    return jax_options


def start(logdir, options=None):
    """Starts profiling into ``logdir``; ``AlreadyExistsError`` if a profile is running."""
    jax_options = _jax_options(options)
    with _LOCK:
        if _RUNNING:
            raise errors.AlreadyExistsError(None, None, "Another profiler is running.")
        jax.profiler.start_trace(str(logdir), profiler_options=jax_options)
        _RUNNING.append(str(logdir))


def stop(save=True):
    """Stops profiling and writes the trace; ``UnavailableError`` if none is running.

    ``save=False`` raises ``NotImplementedError``: JAX's profiler always writes its trace.
    """
    if not save:
        raise NotImplementedError("tf.profiler.experimental.stop(save=False) is not supported: "
                                  "JAX's profiler always writes the trace")
    with _LOCK:
        if not _RUNNING:
            raise errors.UnavailableError(
                None, None, "Cannot export profiling results. No profiler is running.")
        _RUNNING.clear()
        jax.profiler.stop_trace()


class Profile:
    """``with tf.profiler.experimental.Profile(logdir):`` profiles the block."""

    def __init__(self, logdir, options=None):
        self._logdir, self._options = logdir, options

    def __enter__(self):
        start(self._logdir, self._options)

    def __exit__(self, *exc):
        stop()
        return False


class Trace:
    """``with tf.profiler.experimental.Trace("train", step_num=3):`` names a span of the trace.

    Keyword arguments become the event's metadata; ``step_num`` marks a training step, which
    the Profile dashboard's step view groups by (JAX's ``StepTraceAnnotation``).
    """

    def __init__(self, name, **kwargs):
        kwargs.pop("_r", None)  # TF's "this is a step" marker; JAX's step annotation sets it
        annotation = jax.profiler.StepTraceAnnotation if "step_num" in kwargs else \
            jax.profiler.TraceAnnotation
        self._annotation = annotation(name, **kwargs)

    def __enter__(self):
        self._annotation.__enter__()
        return self

    def __exit__(self, *exc):
        self._annotation.__exit__(*exc)
        return False
