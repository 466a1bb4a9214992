"""The benchmark harness (``benchmarks/compare.py``): it runs, and every pair it times agrees
with the pure-JAX floor. No timing is asserted anywhere: the machine is shared and noisy."""
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import tapejax
from benchmarks import compare, report, workloads as wl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALWAYS_THERE = ("w1", "w2", "w3", "w4", "w5", "w8")  # names in tapejax's core since 0.1


def _have_tensorflow():
    return compare.tensorflow_available()


def _have_torch():
    return compare.torch_available()


def test_quick_run_covers_every_pair_and_passes_the_correctness_check(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.compare", "--quick", "--jobs", "2",
         "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
        timeout=600 if _have_torch() else 300)  # torch.compile compiles for minutes on 2 CPUs
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    with open(tmp_path / "quick-cpu.jsonl") as f:
        records = [json.loads(line) for line in f]
    pairs = {(r["framework"], r["workload"]): r for r in records}
    assert len(records) == len(pairs) == len(compare.FRAMEWORKS) * len(wl.WORKLOADS)
    for (framework, workload), r in pairs.items():
        if framework == "jax-floor":
            assert r["status"] == "ok", r
        elif framework in compare.TF_FRAMEWORKS:
            assert r["status"] == ("ok" if _have_tensorflow() else "skipped"), r
        elif framework in compare.TORCH_FRAMEWORKS:
            assert r["status"] == ("ok" if _have_torch() else "n/a"), r
            if r["status"] == "n/a":
                assert r["reason"] == "n/a: torch not installed", r
        else:  # tapejax: "n/a: <missing name>" until the ops and tapejax.function land
            assert r["status"] in ("ok", "n/a"), r
            if r["status"] == "n/a":
                assert r["reason"].startswith("n/a: tf."), r
        if r["status"] == "ok":
            assert r["max_error"] <= compare.TOLERANCE.get(workload, compare.DEFAULT_TOLERANCE)
            assert r["repeats"] >= 2 and r["peak_rss_mib"] > 0
    for workload in ALWAYS_THERE:
        assert pairs[("tapejax-eager", workload)]["status"] == "ok"
    text = (tmp_path / "quick-cpu.md").read_text()
    assert "Ratio to TF eager" in text and "Ratio to the pure-JAX floor" in text
    assert "| W3 MLP step |" in text


def test_without_tensorflow_tf_pairs_are_skipped_and_the_rest_still_run(tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.setattr(compare, "tensorflow_available", lambda: False)
    rc = compare.main(["--quick", "--workloads", "w1", "--frameworks", "tapejax-eager,tf-eager",
                       "--out", str(tmp_path)])
    assert rc == 0
    with open(tmp_path / "quick-cpu.jsonl") as f:
        status = {r["framework"]: r["status"] for r in map(json.loads, f)}
    assert status == {"jax-floor": "ok", "tapejax-eager": "ok", "tf-eager": "skipped"}
    assert "tensorflow not installed" in capsys.readouterr().out


def test_without_torch_the_torch_columns_say_n_a_and_the_run_passes(tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # what find_spec sees without torch
    assert not compare.torch_available()
    rc = compare.main(["--quick", "--workloads", "w1", "--frameworks",
                       "tapejax-eager,torch-eager,torch-compile", "--out", str(tmp_path)])
    assert rc == 0
    with open(tmp_path / "quick-cpu.jsonl") as f:
        records = {r["framework"]: r for r in map(json.loads, f)}
    assert {f: r["status"] for f, r in records.items()} == {
        "jax-floor": "ok", "tapejax-eager": "ok", "torch-eager": "n/a", "torch-compile": "n/a"}
    assert records["torch-compile"]["reason"] == "n/a: torch not installed"
    assert "torch-eager       w1  n/a      n/a: torch not installed" in capsys.readouterr().out
    text = (tmp_path / "quick-cpu.md").read_text()
    assert "| pure JAX (floor) | tapejax eager | PyTorch eager | torch.compile |" in text
    assert "| n/a: torch not installed | n/a: torch not installed |" in text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's use of torch.jit
@pytest.mark.parametrize("name, compiled", [(name, False) for name in wl.WORKLOADS]
                         + [("w5", True)])  # W5 compiles other code than it runs eagerly
def test_torch_workloads_agree_with_the_floor(name, compiled):
    pytest.importorskip("torch", reason="torch is not installed (pip install '.[bench]')")
    import jax

    from benchmarks import jax_floor, torch_peer
    run, args = jax_floor.FLOOR[name](True)
    reference = compare.flatten_values(jax.block_until_ready(run(*args)))
    run, args = torch_peer.TORCH[name](compiled, True)
    error, why = compare.compare(compare.flatten_values(run(*args)), reference,
                                 compare.TOLERANCE.get(name, compare.DEFAULT_TOLERANCE))
    assert why is None, why


def test_full_mode_times_the_frameworks_in_turns(tmp_path):
    rc = compare.main(["--workloads", "w1", "--frameworks", "tapejax-eager", "--min-time", "0.05",
                       "--out", str(tmp_path)])
    assert rc == 0
    with open(tmp_path / "cpu.jsonl") as f:
        records = {r["framework"]: r for r in map(json.loads, f)}
    assert sorted(records) == ["jax-floor", "tapejax-eager"]
    for r in records.values():  # every round gives each worker at least one timed call
        assert r["status"] == "ok" and r["repeats"] >= compare.ROUNDS, r
    assert records["jax-floor"]["pid"] != records["tapejax-eager"]["pid"]


def test_names_a_workload_needs_are_read_from_its_source():
    names = compare.tf_names(wl.w6_cnn)
    assert {"nn.conv2d", "nn.max_pool2d", "GradientTape", "Variable", "reshape"} <= names
    assert "math.rsqrt" in compare.tf_names(wl.w7_transformer)  # from a nested helper


def test_a_missing_name_is_reported_with_its_tf_path():
    fake = types.SimpleNamespace(constant=1, GradientTape=1, tanh=1, sin=1, reduce_sum=1)
    assert compare.missing_name(fake, wl.w2_chain) is None
    del fake.sin
    assert compare.missing_name(fake, wl.w2_chain) == "tf.sin"
    fake.nn = types.SimpleNamespace()
    assert compare.missing_name(fake, wl.w3_mlp) == "tf.Variable"
    assert compare.missing_name(tapejax, wl.w3_mlp) is None
    assert compare.missing_name(tapejax.nn, wl.w6_cnn) is not None


def test_unknown_module_attribute_errors_become_tf_names():
    assert compare._unknown_attribute(AttributeError(
        "module 'tapejax.nn' has no attribute 'conv2d'")) == "tf.nn.conv2d"
    assert compare._unknown_attribute(AttributeError(
        "module 'tapejax' has no attribute 'einsum'")) == "tf.einsum"
    assert compare._unknown_attribute(AttributeError("'Tensor' has no attribute 'x'")) is None


def test_correctness_check_rejects_wrong_values_dtypes_shapes_and_nans():
    ref = [np.float32(2.0), np.array([1.0, -4.0], np.float32)]
    assert compare.compare([np.float32(2.0), np.array([1.0, -4.0], np.float32)], ref, 1e-4) \
        == (0.0, None)
    error, why = compare.compare([np.float32(2.0), np.array([1.001, -4.0], np.float32)], ref, 1e-4)
    assert error == pytest.approx(0.001 / 4, rel=1e-3) and "tolerance" in why
    _, why = compare.compare([np.float64(2.0), ref[1]], ref, 1e-4)
    assert "float64" in why
    _, why = compare.compare([ref[0], np.ones(3, np.float32)], ref, 1e-4)
    assert "[3]" in why
    _, why = compare.compare([np.float32(np.nan), ref[1]], ref, 1e-4)
    assert "not finite" in why
    _, why = compare.compare(ref[:1], ref, 1e-4)
    assert "1 outputs, expected 2" in why


def _record(framework, workload, median, status="ok", **extra):
    return {"framework": framework, "workload": workload, "status": status,
            "median_s": median, "first_call_s": median * 10, "p25_s": median,
            "p75_s": median, "max_error": 0.0, "peak_rss_mib": 100.0,
            "rss_growth_mib": 1.0, **extra}


def test_report_shows_ratios_targets_and_missing_names():
    records = [_record("jax-floor", "w2", 1e-3), _record("tapejax-eager", "w2", 3e-3),
               _record("tf-eager", "w2", 1e-2), _record("tf-function", "w6", 1e-3),
               _record("jax-floor", "w6", 2e-3),
               {"framework": "tapejax-eager", "workload": "w6", "status": "n/a",
                "reason": "n/a: tf.nn.conv2d"}]
    meta = {"date": "today", "machine": "m", "threads": 2, "device": "cpu", "python": "3",
            "command": "python -m benchmarks.compare", "quick": False}
    text = report.markdown(records, meta)
    assert "| W2 200-op chain | 1.00 ms ±0% | 3.00 ms ±0% | 10.0 ms ±0% | — |" in text
    assert "0.30×" in text and "3.00×" in text  # ÷ TF eager and ÷ floor
    assert "| tapejax eager ≤ 0.4× TF eager (#2 (b)) | W2 200-op chain | 0.30× | met |" in text
    assert "n/a: tf.nn.conv2d" in text
    assert "W6 CNN step: after warm-up, XLA on this device" in text  # floor slower than TF


def test_results_md_section_is_replaced_in_place(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("intro\n<!-- results:cpu:begin -->\nold\n<!-- results:cpu:end -->\nend\n")
    meta = {"date": "today", "machine": "m", "threads": 2, "device": "cpu", "python": "3",
            "command": "c", "quick": False}
    report.update_results_md([_record("jax-floor", "w1", 1e-4)], meta, str(path))
    text = path.read_text()
    assert text.startswith("intro\n<!-- results:cpu:begin -->\nRun today") and "old" not in text
    assert text.endswith("<!-- results:cpu:end -->\nend\n")


def test_first_call_worker_reports_its_timers_and_cache(tmp_path):
    env = dict(os.environ, TAPEJAX_COMPILATION_CACHE=str(tmp_path), JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_first_call", "--worker", "tapejax-function",
         "w1", "--quick"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    assert record["first_call_s"] > 0 and record["trace_s"] > 0 and record["xla_s"] > 0
    assert record["cache"]["directory"] == str(tmp_path) and record["cache"]["misses"] > 0


def test_input_pipeline_benchmark_runs_on_tapejax():
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_input_pipeline", "--rounds", "1",
         "--stacks", "tapejax"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "| tapejax | 45 |" in proc.stdout


def test_cpu_convolution_benchmark_compares_variants_with_the_default():
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_cpu_conv", "--rounds", "1", "--calls", "1",
         "--variants", "default,eigen-conv,nchw"], cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    rows = {line.split("|")[1].strip(): line.split("|") for line in proc.stdout.splitlines()
            if line.startswith("| ") and not line.startswith("| variant")}
    assert set(rows) == {"default", "eigen-conv", "nchw"}
    assert all(float(row[-2]) <= 1e-5 for row in rows.values())  # same loss and gradients
