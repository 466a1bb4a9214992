"""The persistent compilation cache: a second run compiles nothing the first compiled, the switch
turns it off, a bad directory never breaks a program, and the directory stays bounded."""
import json
import os
import subprocess
import sys

import jax
import pytest

import tapejax as tf
from tapejax import _compilation_cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A small training step under tapejax.function, and the same step eagerly (op by op, lazy tape).
PROGRAM = """
import json
import numpy as np
import tapejax as tf
w = tf.Variable(np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3))
x = tf.constant(np.ones((2, 4), np.float32))

def step(x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.tanh(tf.matmul(x, w)) ** 2)
    grad = tape.gradient(loss, w)
    w.assign_sub(0.1 * grad)
    return loss

losses = [float(tf.function(step)(x)), float(step(x))]
print(json.dumps({"losses": losses, "info": tf.config.compilation_cache_info()}))
"""


def _run(env_changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TAPEJAX_COMPILATION_CACHE", "JAX_COMPILATION_CACHE_DIR")}
    env.update(env_changes)
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def test_second_run_loads_every_program_the_first_compiled(tmp_path):
    cache = str(tmp_path / "cache")
    first, _ = _run({"TAPEJAX_COMPILATION_CACHE": cache})
    second, _ = _run({"TAPEJAX_COMPILATION_CACHE": cache})
    assert first["info"]["enabled"] and first["info"]["directory"] == cache
    assert first["info"]["hits"] == 0 and first["info"]["misses"] > 0
    assert second["info"]["misses"] == 0
    assert second["info"]["hits"] == first["info"]["misses"]
    assert second["losses"] == first["losses"]
    assert len([n for n in os.listdir(cache) if n.endswith("-cache")]) == first["info"]["misses"]


def test_default_directory_is_per_user_and_the_switch_turns_it_off(tmp_path):
    on, _ = _run({"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    default = str(tmp_path / "xdg" / "tapejax" / "jax")
    assert on["info"]["enabled"] and on["info"]["directory"] == default
    assert on["info"]["min_compile_time_secs"] == 0.0
    assert on["info"]["max_size_bytes"] == _compilation_cache.DEFAULT_MAX_SIZE_BYTES
    assert any(n.endswith("-cache") for n in os.listdir(default))
    off, _ = _run({"XDG_CACHE_HOME": str(tmp_path / "xdg-off"),
                   "TAPEJAX_COMPILATION_CACHE": "0"})
    assert not off["info"]["enabled"] and off["info"]["directory"] is None
    assert off["info"]["hits"] == off["info"]["misses"] == 0
    assert not (tmp_path / "xdg-off").exists()
    assert off["losses"] == on["losses"]


def test_a_directory_given_to_jax_is_left_as_the_user_set_it(tmp_path):
    mine = str(tmp_path / "mine")
    out, _ = _run({"JAX_COMPILATION_CACHE_DIR": mine, "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert out["info"]["enabled"] and out["info"]["directory"] == mine
    assert out["info"]["min_compile_time_secs"] == 1.0  # JAX's default, not tapejax's
    assert not (tmp_path / "xdg").exists()


def test_unusable_directory_warns_once_and_the_program_runs(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    reference, _ = _run({"TAPEJAX_COMPILATION_CACHE": "0"})
    out, stderr = _run({"TAPEJAX_COMPILATION_CACHE": str(blocker / "cache")})
    assert out["losses"] == reference["losses"]
    assert not out["info"]["enabled"]
    assert stderr.count("The compilation cache is off") == 1, stderr


def test_set_compilation_cache_switches_and_checks_its_arguments(tmp_path):
    before = tf.config.compilation_cache_info()
    try:
        assert tf.config.set_compilation_cache(False) is False
        assert not tf.config.compilation_cache_info()["enabled"]
        assert tf.config.set_compilation_cache(True, tmp_path / "here", max_size_bytes=1 << 20)
        info = tf.config.compilation_cache_info()
        assert info["directory"] == str(tmp_path / "here") and info["max_size_bytes"] == 1 << 20
        hits = info["hits"]
        tf.function(lambda a: a * 3.0 + 1.0)(tf.constant([1.0, 2.0]))
        assert tf.config.compilation_cache_info()["misses"] > info["misses"]
        assert tf.config.compilation_cache_info()["hits"] == hits
    finally:
        tf.config.set_compilation_cache(before["enabled"], before["directory"],
                                        before["max_size_bytes"])
    with pytest.raises(TypeError, match="enabled"):
        tf.config.set_compilation_cache("yes")
    with pytest.raises(ValueError, match="max_size_bytes"):
        tf.config.set_compilation_cache(True, max_size_bytes=0)


def test_trim_drops_the_oldest_entries_until_the_bound_holds(tmp_path):
    for age, name in enumerate(["new", "mid", "old"]):
        path = tmp_path / f"{name}-cache"
        path.write_bytes(b"x" * 100)
        (tmp_path / f"{name}-atime").write_bytes(b"t")
        os.utime(path, (1000 - age, 1000 - age))
    _compilation_cache._trim(str(tmp_path), 250)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mid-atime", "mid-cache", "new-atime", "new-cache"]
    _compilation_cache._trim(str(tmp_path), 100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new-atime", "new-cache"]


def test_trim_counts_autographs_stored_code_in_the_same_bound(tmp_path):
    autograph = tmp_path / _compilation_cache.AUTOGRAPH_SUBDIRECTORY
    autograph.mkdir()
    for age, path in enumerate([tmp_path / "jax-cache", autograph / "b.json",
                                autograph / "left.tmp", autograph / "a.json"]):
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 - age, 1000 - age))
    _compilation_cache._trim(str(tmp_path), 250)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [_compilation_cache.AUTOGRAPH_SUBDIRECTORY, "jax-cache"])
    assert [p.name for p in autograph.iterdir()] == ["b.json"]


def test_an_entry_left_half_written_does_not_break_a_run(tmp_path):
    """A process killed while JAX wrote an entry leaves it truncated: later runs warn, compile
    that program again and compute the same numbers."""
    cache = tmp_path / "cache"
    first, _ = _run({"TAPEJAX_COMPILATION_CACHE": str(cache)})
    entries = sorted(p for p in cache.iterdir() if p.name.endswith("-cache"))
    assert not any(p.name.endswith("-atime") for p in cache.iterdir())  # JAX evicts nothing
    killed = entries[0]
    killed.write_bytes(killed.read_bytes()[:10])
    second, stderr = _run({"TAPEJAX_COMPILATION_CACHE": str(cache)})
    assert second["info"]["misses"] == 1 and second["info"]["hits"] == first["info"]["misses"] - 1
    assert second["losses"] == first["losses"]


def test_jaxs_cache_writes_entries_without_scanning_the_directory(tmp_path):
    """JAX's own eviction lists and reads every entry on each write (0.2 s per new program with
    7,000 entries); the bound is kept by ``_trim`` when the cache is turned on instead."""
    before = tf.config.compilation_cache_info()
    try:
        tf.config.set_compilation_cache(True, tmp_path / "here", max_size_bytes=1 << 20)
        assert jax.config.jax_compilation_cache_max_size == -1
        assert tf.config.compilation_cache_info()["max_size_bytes"] == 1 << 20
    finally:
        tf.config.set_compilation_cache(before["enabled"], before["directory"],
                                        before["max_size_bytes"])
