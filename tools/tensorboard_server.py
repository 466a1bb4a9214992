"""Starts the real TensorBoard server on a log directory, on 127.0.0.1 and a free port.

Used by the tests (``tests/test_summary.py``) and by ``tools/tensorboard_screenshot.py``.
TensorBoard is started without TensorFlow (its ``tensorboard.compat.notf`` switch, set in the
child process only), which makes it start in seconds, and with the Python data loader.

    with serve("logs") as url:
        urllib.request.urlopen(url + "/data/plugin/scalars/tags")
"""
import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request

_LAUNCH = ("import sys, types; "
           "sys.modules['tensorboard.compat.notf'] = types.ModuleType('notf'); "
           "from tensorboard.main import run_main; sys.argv[0] = 'tensorboard'; run_main()")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


@contextlib.contextmanager
def serve(logdir, timeout=20.0):
    """Yields the server's base URL once it answers; stops the server on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCH, "--logdir", str(logdir), "--host", "127.0.0.1",
         "--port", str(port), "--load_fast", "false", "--reload_interval", "0.5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"TensorBoard exited with code {proc.returncode}")
            try:
                get_json(url + "/data/runs", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"TensorBoard did not answer within {timeout} s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
