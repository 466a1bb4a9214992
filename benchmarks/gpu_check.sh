#!/usr/bin/env bash
# One GPU session's checks, in one command (GPU time is scarce). Writes into
# ${OUT:-benchmarks/results}. TensorFlow is not needed: its comparisons skip, and the tables
# have no TF columns. STAGES picks what runs (default: all, in this order):
#   tests       the tape/lazy/function test files on the GPU
#   compare     benchmarks.compare for the JAX frameworks, WORKLOADS (default all)
#   lazy        the lazy-recording table
#   distribute  bench_distribute --gpu (MLP, CNN, transformer steps on one GPU)
#   fit         bench_fit --device gpu for tapejax and Keras-JAX (needs keras; BENCH_FIT_DATA
#               names the digits saved by `python -m benchmarks.bench_fit --save-data`)
set -u
OUT=${OUT:-benchmarks/results}
STAGES=${STAGES:-tests compare lazy distribute fit}
WORKLOADS=${WORKLOADS:-w1,w2,w3,w4,w5,w6,w7,w8}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
PY=${PY:-python3}
stage() { [[ " $STAGES " == *" $1 "* ]]; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c "import jax, numpy; print('jax', jax.__version__, 'numpy', numpy.__version__, jax.devices())"
if stage tests; then
  # Full-precision float32 matmuls (not TF32), as the tests' tolerances assume.
  CUDA_VISIBLE_DEVICES=0 JAX_DEFAULT_MATMUL_PRECISION=highest timeout 110 \
    $PY -m pytest -q -x -p no:cacheprovider tests/test_lazy_tape.py tests/test_tape.py \
    tests/test_function.py 2>&1 | tail -8
fi
if stage compare; then
  timeout "${COMPARE_TIMEOUT:-300}" $PY -m benchmarks.compare --device gpu --min-time 0.3 \
    --workloads "$WORKLOADS" \
    --frameworks jax-floor,tapejax-eager,tapejax-eager-nolazy,tapejax-function --out "$OUT" \
    2>&1 | tee "$OUT/gpu-compare.txt" | tail -40
fi
if stage lazy; then
  timeout 110 $PY -m benchmarks.bench_lazy --steps 300 2>&1 | tee "$OUT/gpu-lazy.md" | tail -6
fi
if stage distribute; then
  timeout 120 $PY -m benchmarks.bench_distribute --gpu 2>&1 | tee "$OUT/gpu-distribute.txt" \
    | tail -14
fi
if stage fit; then
  timeout 200 $PY -m benchmarks.bench_fit --device gpu --stacks tapejax,jax --json 2>&1 \
    | tee "$OUT/gpu-fit.txt" | tail -16
fi
