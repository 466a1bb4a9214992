"""The per-thread summary state, as TF's: default writer, step and recording condition."""
import threading


class _State(threading.local):
    def __init__(self):
        self.writer = None
        self.step = None
        self.condition = None  # None: always record


STATE = _State()
