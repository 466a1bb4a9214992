#!/usr/bin/env bash
# One GPU session's checks, in one command (GPU time is scarce): versions, a smoke run of the
# tape/lazy/function tests on the GPU, the comparison table for the JAX frameworks on the GPU,
# and the lazy-recording table. Writes into ${OUT:-benchmarks/results}. TensorFlow is not
# needed: its comparisons skip, and the table has no TF columns.
set -u
OUT=${OUT:-benchmarks/results}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c "import jax, numpy, optax; print('jax', jax.__version__, 'numpy', numpy.__version__, 'optax', optax.__version__, jax.devices())"
# Full-precision float32 matmuls (not TF32), as the tests' tolerances assume.
CUDA_VISIBLE_DEVICES=0 JAX_DEFAULT_MATMUL_PRECISION=highest timeout 110 \
  $PY -m pytest -q -x -p no:cacheprovider tests/test_lazy_tape.py tests/test_tape.py \
  tests/test_function.py 2>&1 | tail -8
timeout 300 $PY -m benchmarks.compare --device gpu --min-time 0.5 \
  --frameworks jax-floor,tapejax-eager,tapejax-eager-nolazy,tapejax-function --out "$OUT" 2>&1 | tail -60
timeout 110 $PY -m benchmarks.bench_lazy --steps 300 2>&1 | tee "$OUT/gpu-lazy.md" | tail -6
