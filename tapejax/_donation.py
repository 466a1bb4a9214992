"""Handing a Variable's old buffer to XLA to reuse (donation), safely.

A donated buffer is deleted, so it may only be donated when nothing but the Variable holds it,
and an interrupt must not land between the donation and the store of the new buffer.
"""
import os
import signal
import sys
import threading

try:  # the C function: signal.signal wraps it in enum conversions costing ~4 us a call
    from _signal import signal as _set_handler
except ImportError:  # pragma: no cover - other Python implementations
    _set_handler = signal.signal


class InterruptsHeld:
    """Holds back SIGINT (Ctrl-C) from the moment old Variable buffers are donated until the new
    ones are stored, so an interrupt never leaves a Variable on a deleted buffer; the interrupt
    is delivered right after. Signals reach only the main thread, so only it needs this."""

    __slots__ = ("active", "previous", "pending")

    def __init__(self, active):
        self.active = active and threading.current_thread() is threading.main_thread()
        self.pending = None

    def __enter__(self):
        if self.active:
            self.previous = _set_handler(signal.SIGINT, self._hold)
        return self

    def _hold(self, signum, frame):
        self.pending = (signum, frame)

    def __exit__(self, *exc_info):
        if not self.active:
            return
        _set_handler(signal.SIGINT, self.previous)
        if self.pending is not None:
            if callable(self.previous):
                self.previous(*self.pending)
            elif self.previous == signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGINT)


def only_holder(tensor, expected):
    """True when only the Variable and its caller hold ``tensor`` and its array: donatable.

    ``expected``: the references to the Tensor that the caller knows of (the Variable's slot,
    the caller's own, this argument and ``getrefcount``'s); to the array there must be two (the
    Tensor's slot and ``getrefcount``'s argument).

    This reads CPython's reference counts, which is why ``requires-python`` is bounded to the
    versions tested: it relies on a call's argument adding exactly one reference (the caller's
    stack slot moves into the callee) and on ``getrefcount`` adding one. An interpreter that
    borrows references instead (free-threaded or newer CPython may) would make the check donate
    a buffer a user still holds; ``test_donation_check_counts_references_as_this_interpreter_does``
    in ``tests/test_function.py`` fails first.
    """
    return sys.getrefcount(tensor) <= expected and sys.getrefcount(tensor._value) <= 2


_VARIABLE_FREE_THREADS = []  # tapejax's own threads that never read or write a Variable


def add_variable_free_thread(thread):
    """Counts ``thread`` (one of tapejax's, such as the summary writer) out of
    ``other_threads_running``: it never touches a Variable."""
    _VARIABLE_FREE_THREADS[:] = [t for t in _VARIABLE_FREE_THREADS if t.is_alive()] + [thread]


def other_threads_running():
    """True when a thread other than this one and tapejax's Variable-free ones runs: one that
    could read a Variable while it is updated in place."""
    running = threading.active_count()
    if running > 1 and _VARIABLE_FREE_THREADS:
        running -= sum(1 for t in _VARIABLE_FREE_THREADS if t.is_alive())
    return running > 1
