"""Side-by-side benchmarks: ``python -m benchmarks.compare`` (see benchmarks/RESULTS.md)."""
