#!/usr/bin/env bash
# The CUDA path on a machine with an NVIDIA GPU and CuPy, in one call (about 10 minutes):
#   1. every `cuda`-marked test (the CuPy kernels against the torch reference, float16 too);
#   2. the CuPy kernels against the minimal plain-torch loop on the GPU (benchmarks/neurons.py:
#      T = 8, 32, 128; N = 2^14 .. 2^20; float32 and float16; forward and forward+backward;
#      each fused row against its bandwidth floor at the copy bandwidth measured in the run);
#   3. PPO on CartPole-v1 with --device cuda (2e4 steps: the path runs end to end).
# Results: $OUT (the device tool's folder) or benchmarks/results/gpu/. gymnasium and SB3 are
# not on the GPU machines here: benchmarks/gpu_wheels.sh puts their wheels in .whl/ first,
# and the device call carries .whl (`carry: [".whl"]`, command `bash benchmarks/gpu_check.sh`).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/results/gpu}"
mkdir -p "$out"
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
log="$out/gpu_check.md"
{
    echo "# GPU check ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git'), $(date -Is))"
    echo
    echo '```'
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    python3 -c "import torch, cupy; print('torch', torch.__version__, 'cupy', cupy.__version__)"
    echo '```'
    echo
    echo "## cuda-marked tests: \`python3 -m pytest -m cuda tests/snn\`"
    echo
    echo '```'
} > "$log"
python3 -m pytest -q -p no:cacheprovider -m cuda tests/snn 2>&1 | tail -n 25 >> "$log"
echo '```' >> "$log"
for dtype in float32 float16; do
    python3 benchmarks/neurons.py --device cuda --dtype "$dtype" --budget 0.3 \
        --out "$out/neurons_cuda_$dtype.md" > /dev/null 2>> "$log.stderr"
    echo "- neurons, $dtype: see neurons_cuda_$dtype.md (exit $?)" >> "$log"
done
{
    echo
    echo "## PPO CartPole-v1 on the GPU: \`spikeagents train ppo CartPole-v1 --device cuda"
    echo "--timesteps 20000 --seed 1\`"
    echo
    echo '```'
} >> "$log"
python3 -m spikeagents train ppo CartPole-v1 --device cuda --timesteps 20000 --seed 1 \
    --no-progress --run-dir /tmp/gpu_check_ppo >> "$log" 2>&1
echo "exit $?" >> "$log"
echo '```' >> "$log"
cat "$log"
