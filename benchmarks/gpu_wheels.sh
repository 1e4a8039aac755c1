#!/usr/bin/env bash
# The wheels benchmarks/gpu_check.sh needs on the GPU machines (Python 3.12, no package index):
# gymnasium and Stable-Baselines3 at the versions of constraints.txt. Run here, in the repo root.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
for pkg in "gymnasium==1.4.0" "stable-baselines3==2.9.2" "farama-notifications==0.0.4"; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "$pkg"
done
ls -l .whl
