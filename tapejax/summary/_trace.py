"""``tf.summary.trace_on`` / ``trace_export``: program graphs and profiles without TF graphs.

With ``graph=True``, every ``tapejax.function`` program run while tracing is on is kept (the
jaxpr JAX traced); ``trace_export`` writes them as TF does, one summary tagged ``name`` with
plugin ``graph_run_metadata_graph`` holding a ``RunMetadata`` whose ``function_graphs`` are
``GraphDef``s: an ``_Arg`` node per input, a node per JAX primitive (``op`` is the primitive's
name, or the jitted function's name such as ``multiply``; nested programs stay one node), a
``_Retval`` node per output. TensorBoard's Graphs dashboard shows them. With ``profiler=True``,
JAX's profiler records into ``profiler_outdir`` until ``trace_export``/``trace_off``.
"""
import numpy as np
from jax.extend import core as jcore

from .._graph_trace import RECORDER
from ..framework import get_logger
from . import _ops, _state

_PROFILING = []  # the profiler_outdir while a profile runs


def trace_on(graph=True, profiler=False, profiler_outdir=None):
    """Starts recording the programs run (``graph``) and/or a JAX profile (``profiler``)."""
    if graph:
        with RECORDER.lock:
            RECORDER.programs.clear()
            RECORDER.active = True
    if profiler:
        if profiler_outdir is None:
            get_logger().warning("profiler_outdir must be set when profiler=True; the "
                                 "profiler is not started.")
        elif not _PROFILING:
            import jax
            jax.profiler.start_trace(str(profiler_outdir))
            _PROFILING.append(profiler_outdir)


def trace_off():
    """Stops tracing and drops what was recorded (a running profile is saved)."""
    with RECORDER.lock:
        RECORDER.active = False
        RECORDER.programs.clear()
    _stop_profiler()


def _stop_profiler():
    if _PROFILING:
        import jax
        _PROFILING.clear()
        jax.profiler.stop_trace()


def trace_export(name, step=None, profiler_outdir=None):
    """Writes the recorded graphs under tag ``name`` to the default writer, then stops."""
    with RECORDER.lock:
        active = RECORDER.active
        programs = list(RECORDER.programs.values())
    if not active and not _PROFILING:
        get_logger().warning("Cannot export trace because trace_on() was not called.")
        return
    try:
        if active and _state.STATE.writer is not None:
            from tensorboard.compat.proto import config_pb2
            run = config_pb2.RunMetadata()
            for fname, jaxpr in programs:
                run.function_graphs.add().pre_optimization_graph.CopyFrom(
                    graph_def(jaxpr, fname))
            _ops.write(_ops.tag_for(name), np.asarray(run.SerializeToString(), dtype=object),
                       step=step, metadata=_ops._metadata("graph_run_metadata_graph", b"1"))
    finally:
        trace_off()


def graph_def(closed_jaxpr, name="function"):
    """A ``GraphDef`` of one program: inputs, one node per equation, outputs."""
    from tensorboard.compat.proto import graph_pb2
    graph = graph_pb2.GraphDef()
    names = {}
    jaxpr = closed_jaxpr.jaxpr

    def source(v):
        return names.get(v, "Const") if isinstance(v, jcore.Var) else "Const"
    graph.node.add(name="Const", op="Const")  # every constant and literal input
    for k, v in enumerate(jaxpr.invars):
        names[v] = f"input_{k}"
        _add(graph, names[v], "_Arg", [], v)
    for k, eqn in enumerate(jaxpr.eqns):
        op = eqn.primitive.name
        if op in ("jit", "pjit") and isinstance(eqn.params.get("name"), str):
            op = eqn.params["name"]  # tapejax's ops are small jitted functions
        node_name = f"{name}/{op}_{k}"
        inputs = [source(v) for v in eqn.invars]
        _add(graph, node_name, op, inputs, eqn.outvars[0] if eqn.outvars else None)
        for v in eqn.outvars:
            names[v] = node_name
    for k, v in enumerate(jaxpr.outvars):
        _add(graph, f"output_{k}", "_Retval", [source(v)], v)
    return graph


def _add(graph, name, op, inputs, var):
    node = graph.node.add(name=name, op=op)
    node.input.extend(inputs)
    if var is not None and hasattr(var, "aval") and hasattr(var.aval, "shape"):
        shape = node.attr["_output_shapes"].list.shape.add()
        for n in var.aval.shape:
            shape.dim.add(size=int(n))
