"""AutoGraph's generated code kept beside the compilation cache (``autograph/_stored.py``): a
second process loads what the first converted, with the same results and error lines; an edited
function, a damaged entry or a name bound to something else is converted again."""
import json
import os
import subprocess
import sys
import textwrap

from tapejax import _compilation_cache
from tapejax.autograph import _conversion, _stored

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODULE = '''
import tapejax as tf


def clip_sum(x, n):
    total = tf.constant(0.0)
    for i in tf.range(n):
        if tf.reduce_sum(x) > 0:
            total += tf.reduce_sum(x) * tf.cast(i, tf.float32) + OFFSET
        else:
            total -= 1.0
    return total


def fails(x):
    if tf.reduce_sum(x) > 0:
        x = tf.reshape(x, [7])
    return x
'''

RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import tapejax as tf
from tapejax import _compilation_cache
from tapejax.autograph import _conversion, _stored
passes = []
original = _conversion._Transpiler.transform_ast
def counted(self, node, ctx):
    passes.append(ctx.info.name)
    return original(self, node, ctx)
_conversion._Transpiler.transform_ast = counted
import prog
x = tf.constant([1.0, 2.0])
value = float(tf.function(prog.clip_sum)(x, tf.constant(3)))
try:
    tf.function(prog.fails)(x)
    error = None
except Exception as e:
    error = [type(e).__name__, [line for line in str(e).splitlines() if "prog.py" in line]]
print(json.dumps({"value": value, "error": error, "converted": passes,
                  "code": tf.autograph.to_code(prog.clip_sum), "stored_in": _stored.directory()}))
"""


def _write_module(folder, offset="0.5", body=MODULE):
    folder.mkdir(exist_ok=True)
    (folder / "prog.py").write_text(body + f"\nOFFSET = {offset}\n")


def _run(folder, cache):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TAPEJAX_COMPILATION_CACHE", "JAX_COMPILATION_CACHE_DIR")}
    env["TAPEJAX_COMPILATION_CACHE"] = str(cache)
    out = subprocess.run([sys.executable, "-c", RUNNER, str(folder)], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _entries(cache):
    folder = cache / _compilation_cache.AUTOGRAPH_SUBDIRECTORY
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_second_process_loads_what_the_first_converted(tmp_path):
    _write_module(tmp_path / "src")
    cache = tmp_path / "cache"
    first = _run(tmp_path / "src", cache)
    second = _run(tmp_path / "src", cache)
    assert sorted(first["converted"]) == ["tf__clip_sum", "tf__fails"]
    assert second["converted"] == []
    assert second["value"] == first["value"] == 3 * 0.5 + 3.0 * (0 + 1 + 2)
    assert first["error"][0] == second["error"][0] == "ValueError"
    assert second["error"] == first["error"] and any("line 17" in s for s in first["error"][1])
    assert len(_entries(cache)) == 2


def test_an_edited_function_is_converted_again(tmp_path):
    cache = tmp_path / "cache"
    _write_module(tmp_path / "src")
    _run(tmp_path / "src", cache)
    _write_module(tmp_path / "src", body=MODULE.replace("total -= 1.0", "total -= 2.0"))
    edited = _run(tmp_path / "src", cache)
    assert edited["converted"] == ["tf__clip_sum"]  # `fails` is unchanged, at the same lines
    assert edited["value"] == 3 * 0.5 + 3.0 * 3


def test_a_damaged_entry_is_converted_again_and_rewritten(tmp_path):
    _write_module(tmp_path / "src")
    cache = tmp_path / "cache"
    first = _run(tmp_path / "src", cache)
    for entry in _entries(cache):
        entry.write_text(entry.read_text()[:40])
    again = _run(tmp_path / "src", cache)
    assert sorted(again["converted"]) == ["tf__clip_sum", "tf__fails"]
    assert again["value"] == first["value"] and again["error"] == first["error"]
    assert all(json.loads(e.read_text())["outer"] for e in _entries(cache))
    assert _run(tmp_path / "src", cache)["converted"] == []


def test_nothing_is_stored_when_the_compilation_cache_is_off(tmp_path):
    _write_module(tmp_path / "src")
    off = _run(tmp_path / "src", "0")
    assert off["stored_in"] is None
    assert sorted(off["converted"]) == ["tf__clip_sum", "tf__fails"]
    assert _run(tmp_path / "src", "0")["converted"] == off["converted"]


def _namespace_function(tmp_path, helper_source):
    source = helper_source + textwrap.dedent("""

        def step(x):
            for i in range(3):
                helper(i)
            return x
    """)
    path = tmp_path / "ns_prog.py"
    path.write_text(source)
    namespace = {"__name__": "ns_prog", "__file__": str(path)}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace["step"]


def test_the_key_follows_what_the_names_are_bound_to(tmp_path):
    opts = _conversion.options()
    plain = _namespace_function(tmp_path, "def helper(i):\n    return i")
    as_directive = _namespace_function(
        tmp_path, "from tapejax.autograph.experimental import set_loop_options as helper")
    key = _stored.key(plain, opts)
    assert key is not None and key == _stored.key(plain, opts)
    assert _stored.key(as_directive, opts) != key  # malt's directives converter reads it
    plain.__globals__["ag__"] = None  # a name malt's namer must then avoid
    assert _stored.key(plain, opts) != key
    assert _stored.key(plain, _conversion.options(recursive=False)) != _stored.key(plain, opts)
    assert _stored.key(lambda x: x, opts) is None


def test_to_code_of_a_loaded_function_is_the_code_first_generated(tmp_path):
    _write_module(tmp_path / "src")
    cache = tmp_path / "cache"
    first = _run(tmp_path / "src", cache)
    second = _run(tmp_path / "src", cache)
    assert first["stored_in"] == str(cache / _compilation_cache.AUTOGRAPH_SUBDIRECTORY)
    assert "def tf__clip_sum(x, n):" in first["code"] and "ag__.for_stmt" in first["code"]
    assert second["code"] == first["code"]
