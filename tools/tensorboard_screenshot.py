"""Screenshot of the real TensorBoard page showing the example's run (docs/tensorboard.png).

    python tools/tensorboard_screenshot.py [--logdir DIR] [--out docs/tensorboard.png]

Trains ``examples/train_tensorboard.py`` on tapejax into a temporary log directory (unless
``--logdir`` is given), starts TensorBoard on it (``tools/tensorboard_server.py``), waits until
the scalars are served, and has headless Chromium (``chromium``, a dev tool: ``apt-get install
chromium``) render the Scalars dashboard. The PNG is quantized to 128 colours to stay small.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tools.tensorboard_server import get_json, serve

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train(logdir, epochs):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-m", "tapejax", "run",
                    os.path.join(ROOT, "examples", "train_tensorboard.py"), "--logdir", logdir,
                    "--epochs", str(epochs)], check=True, env=env, cwd=ROOT)


def wait_for_scalars(url, run, tag, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if get_json(f"{url}/data/plugin/scalars/scalars?run={run}&tag={tag}"):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"TensorBoard did not serve {run}/{tag} within {timeout} s")


def screenshot(url, out, width, height):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or \
        shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("needs headless Chromium: apt-get install chromium")
    raw = out + ".raw.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", "--virtual-time-budget=20000",
                        f"--screenshot={raw}", url], check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from PIL import Image
    Image.open(raw).convert("RGB").quantize(colors=128).save(out, optimize=True)
    os.remove(raw)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--logdir", help="an existing log directory (default: train into a new one)")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "tensorboard.png"))
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--size", default="1280x900")
    opts = p.parse_args()
    width, height = (int(v) for v in opts.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        logdir = opts.logdir or os.path.join(tmp, "logs")
        if opts.logdir is None:
            train(logdir, opts.epochs)
        with serve(logdir) as url:
            wait_for_scalars(url, "train", "loss")
            screenshot(url + "/#scalars", opts.out, width, height)
    print(f"wrote {opts.out} ({os.path.getsize(opts.out) // 1024} KiB)")


if __name__ == "__main__":
    main()
