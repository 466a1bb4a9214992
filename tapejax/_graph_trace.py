"""The programs run while ``tf.summary.trace_on(graph=True)`` is on (leaf module).

``tapejax.function`` reports each program it runs here when ``RECORDER.active``;
``tf.summary.trace_export`` turns them into TensorBoard graphs.
"""
import threading


class _Recorder:
    def __init__(self):
        self.active = False
        self.programs = {}  # id(jaxpr) -> (function name, ClosedJaxpr), in first-run order
        self.lock = threading.Lock()

    def record(self, name, jaxpr):
        with self.lock:
            self.programs.setdefault(id(jaxpr), (name, jaxpr))


RECORDER = _Recorder()
