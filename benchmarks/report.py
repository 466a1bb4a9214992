"""Turns benchmark records into JSON lines, a markdown report and a PNG chart.

The headline time of a pair is its median after warm-up, except W8 whose headline is its first
call: one 1000-step training loop end to end, compilation included.
"""
import json
import os

from . import workloads as wl

LABELS = {"jax-floor": "pure JAX (floor)", "tapejax-eager": "tapejax eager",
          "tapejax-eager-nolazy": "tapejax eager, lazy tape off",
          "tapejax-function": "tapejax.function", "tf-eager": "TF eager",
          "tf-function": "tf.function", "tf-xla": "tf.function XLA",
          "torch-eager": "PyTorch eager", "torch-compile": "torch.compile"}
ORDER = tuple(LABELS)
# (framework, baseline, workloads, bound, where the goal comes from)
TARGETS = (
    ("tapejax-function", "jax-floor", tuple(wl.WORKLOADS), 1.10, "#6"),
    ("tapejax-eager", "tf-eager", ("w1", "w2", "w3"), 0.5, "#6"),
    ("tapejax-eager", "tf-eager", ("w4", "w5"), 0.05, "#6"),
    ("tapejax-eager", "tf-eager", ("w1",), 0.5, "#2 (a)"),
    ("tapejax-eager", "tf-eager", ("w2",), 0.4, "#2 (b)"),
    ("tapejax-eager", "tf-eager", ("w3",), 0.6, "#2 (c)"),
    ("tapejax-eager", "jax-floor", ("w2",), 2.0, "#10"),
    ("tapejax-eager", "tf-eager", ("w2",), 0.1, "#10"),
    ("tapejax-eager", "jax-floor", ("w3",), 1.3, "#10"),
    ("tapejax-eager", "tapejax-eager-nolazy", ("w1",), 1.0, "#10"),
)


def headline(record):
    """Seconds used for ratios, or None when the pair has no timing."""
    if record is None or record.get("status") != "ok":
        return None
    return record["first_call_s"] if record["workload"] == "w8" else record["median_s"]


def _median(record):
    return record["median_s"] if record is not None and record.get("status") == "ok" else None


def fmt_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            v = seconds / scale
            return f"{v:.0f} {unit}" if v >= 100 else f"{v:.1f} {unit}" if v >= 10 else \
                f"{v:.2f} {unit}"
    return ""


def fmt_ratio(r):
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"


def _index(records):
    return {(r["framework"], r["workload"]): r for r in records}


def _present(records, order):
    seen = {r[order] for r in records}
    keys = ORDER if order == "framework" else tuple(wl.WORKLOADS)
    return [k for k in keys if k in seen]


def _not_timed(record):
    if record is None:
        return "—"
    status = record["status"]
    if status == "n/a":
        return record["reason"]
    if status == "mismatch":
        return f"mismatch ({record.get('max_error', float('inf')):.1e})"
    return status  # error / skipped: reasons are listed below the tables


def _table(records, cell, header="workload"):
    index = _index(records)
    frameworks, workloads = _present(records, "framework"), _present(records, "workload")
    lines = [f"| {header} | " + " | ".join(LABELS[f] for f in frameworks) + " |",
             "|---|" + "---|" * len(frameworks)]
    for w in workloads:
        cells = []
        for f in frameworks:
            r = index.get((f, w))
            value = cell(r, index) if r is not None and r["status"] == "ok" else None
            cells.append(value if value is not None else _not_timed(r))
        lines.append(f"| {wl.TITLES[w]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _median_cell(r, _):
    spread = (r["p75_s"] - r["p25_s"]) / r["median_s"] * 50 if r["median_s"] else 0.0
    return f"{fmt_time(r['median_s'])} ±{spread:.0f}%"


def _ratio_cell(baseline):
    def cell(r, index):
        base = headline(index.get((baseline, r["workload"])))
        return fmt_ratio(headline(r) / base) if base else "no baseline"
    return cell


def targets_table(records):
    index = _index(records)
    present = set(_present(records, "framework"))
    lines = ["| goal | workload | measured | result |", "|---|---|---|---|"]
    for framework, baseline, workloads, bound, source in TARGETS:
        if not {framework, baseline} <= present:
            continue
        goal = f"{LABELS[framework]} ≤ {bound:g}× {LABELS[baseline]} ({source})"
        for w in workloads:
            if w not in {r["workload"] for r in records}:
                continue
            mine, base = index.get((framework, w)), index.get((baseline, w))
            if headline(mine) is None or headline(base) is None:
                missing = mine if headline(mine) is None else base
                lines.append(f"| {goal} | {wl.TITLES[w]} | — | not measured: "
                             f"{LABELS[missing['framework']] if missing else ''} "
                             f"{_not_timed(missing)} |")
                continue
            ratio = headline(mine) / headline(base)
            lines.append(f"| {goal} | {wl.TITLES[w]} | {fmt_ratio(ratio)} | "
                         f"{'met' if ratio <= bound else 'missed'} |")
    return "\n".join(lines)


def _notes(records):
    """XLA slower than TF's own kernels (steady state, by more than 5%), and every error or
    skip with its reason."""
    index, notes = _index(records), []
    for w in _present(records, "workload"):
        floor = _median(index.get(("jax-floor", w)))
        tf_times = [(_median(index.get((f, w))), f) for f in ("tf-eager", "tf-function", "tf-xla")]
        tf_times = [(t, f) for t, f in tf_times if t is not None]
        if floor and tf_times and min(tf_times)[0] * 1.05 < floor:
            best, f = min(tf_times)
            notes.append(f"- {wl.TITLES[w]}: after warm-up, XLA on this device (pure-JAX floor, "
                         f"{fmt_time(floor)}) is {floor / best:.2f}× slower than TensorFlow's "
                         f"fastest ({LABELS[f]}, {fmt_time(best)}); no JAX shim can beat that "
                         "floor, so tapejax's numbers here are bounded by XLA's kernels.")
    for r in records:
        if r["status"] in ("error", "skipped"):
            notes.append(f"- {LABELS[r['framework']]} / {wl.TITLES[r['workload']]}: "
                         f"{r['status']}: {r.get('reason', '')}")
    return notes


def markdown(records, meta):
    versions = {}
    for r in records:
        versions.update(r.get("versions", {}))
    devices = sorted({f"{LABELS[r['framework']]}: {r['device']}" for r in records
                      if r.get("device") and r["device"] != "cpu"})
    parts = [
        f"Run {meta['date']} on {meta['machine']} ({meta['threads']} threads per worker), "
        f"device `{meta['device']}`{' (' + '; '.join(devices) + ')' if devices else ''}, "
        f"Python {meta['python']}, " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
        + f"; whole run {meta.get('wall_s', '?')} s"
        + (f"; 1-minute load average {meta['load'][0]} at the start, {meta['load'][1]} at the "
           "end (other work on the machine shows up in the spreads)." if "load" in meta else "."),
        f"\nCommand: `{meta['command'].strip()}`" + (
            "\n\n**Quick mode: reduced shapes and few repeats; timings are only indicative.**"
            if meta["quick"] else ""),
        "\n**Time per call**, median after warm-up (± half the interquartile range, as % of "
        "the median). W8 is one whole training loop (1000 steps; 20 in quick mode).\n",
        _table(records, _median_cell),
        "\n**First call** (tracing, compilation and one run; for W8 the end-to-end loop time, "
        "which is W8's headline).\n",
        _table(records, lambda r, _: fmt_time(r["first_call_s"])),
        "\n**Ratio to TF eager** (headline times; below 1 is faster than TF eager).\n",
        _table(records, _ratio_cell("tf-eager")),
        "\n**Ratio to the pure-JAX floor** (headline times; 1 is the best a JAX shim can do).\n",
        _table(records, _ratio_cell("jax-floor")),
        "\n**Targets**\n",
        targets_table(records),
        "\n**Peak memory** of each worker process (peak RSS, MiB; in brackets the growth over "
        "its level after importing the framework).\n",
        _table(records, lambda r, _: f"{r['peak_rss_mib']:.0f} (+{r['rss_growth_mib']:.0f})"),
        "\n**Correctness**: largest difference from the pure-JAX floor's outputs on the first "
        "call, relative to the largest reference magnitude, per output (tolerance 1e-4; W8 "
        "1e-3). A pair is timed only after it passes.\n",
        _table(records, lambda r, _: f"{r['max_error']:.1e}"),
    ]
    notes = _notes(records)
    if notes:
        parts += ["\n**Notes**\n", "\n".join(notes)]
    return "\n".join(parts) + "\n"


def chart(records, meta, path):
    """Grouped bars of headline time ÷ pure-JAX floor, log scale; None without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    index = _index(records)
    workloads = _present(records, "workload")
    frameworks = [f for f in _present(records, "framework") if f != "jax-floor"]
    fig, ax = plt.subplots(figsize=(12, 5.5))
    width = 0.8 / max(len(frameworks), 1)
    for k, f in enumerate(frameworks):
        xs = [i + (k - (len(frameworks) - 1) / 2) * width for i in range(len(workloads))]
        timed = []
        for x, w in zip(xs, workloads):
            mine, floor = headline(index.get((f, w))), headline(index.get(("jax-floor", w)))
            if mine and floor:
                timed.append((x, mine / floor))
            else:
                ax.text(x, 1.0, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
        color = f"C{k}"
        if timed:
            ax.bar([x for x, _ in timed], [r - 1.0 for _, r in timed], width, bottom=1.0,
                   color=color, label=LABELS[f])
        else:  # still in the legend
            ax.bar([0], [0], 0, bottom=1.0, color=color, label=LABELS[f])
    ax.axhline(1.0, color="black", linewidth=1)
    ax.axhline(1.10, color="gray", linewidth=0.8, linestyle="--")
    ax.set_yscale("log")
    ax.set_xticks(range(len(workloads)), [wl.TITLES[w] for w in workloads], rotation=20,
                  ha="right", fontsize=8)
    ax.set_ylabel("time ÷ pure-JAX floor (log scale; lower is faster)")
    peers = "TensorFlow vs PyTorch" if {"torch-eager", "torch-compile"} & set(frameworks) \
        else "TensorFlow"
    ax.set_title(f"tapejax vs {peers} vs pure JAX — {meta['device']}, {meta['date']}"
                 + (" (quick)" if meta["quick"] else ""))
    ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_all(records, meta, out_dir):
    """Writes ``<device>.jsonl``, ``.md`` and ``.png`` (``quick-`` prefix in quick mode)."""
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, ("quick-" if meta["quick"] else "") + meta["device"])
    with open(stem + ".jsonl", "w") as f:
        for r in records:
            f.write(json.dumps({**r, **{k: meta[k] for k in ("date", "quick", "machine")}})
                    + "\n")
    text = markdown(records, meta)
    with open(stem + ".md", "w") as f:
        f.write(text)
    print("\n" + text)
    paths = [stem + ".jsonl", stem + ".md"]
    png = chart(records, meta, stem + ".png")
    if png:
        paths.append(png)
    else:
        print("chart skipped: matplotlib is not installed (pip install '.[bench]')")
    return paths


def update_results_md(records, meta, path):
    """Replaces the ``<device>`` section of RESULTS.md (between its markers) with this run."""
    device = meta["device"]
    begin, end = f"<!-- results:{device}:begin -->", f"<!-- results:{device}:end -->"
    with open(path) as f:
        text = f.read()
    block = f"{begin}\n{markdown(records, meta)}{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)
