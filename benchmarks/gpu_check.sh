#!/usr/bin/env bash
# The GPU check in one command (benchmarks/gpu_check.py): on a lent device, in the repo root,
#   ../shared/tools/device-wheels          # here, first: gathers MuJoCo, MJX, Brax, Adroit into .whl/
#   bash benchmarks/gpu_check.sh           # there, with .whl carried: installs them, then the check
#   bash benchmarks/gpu_check.sh --dry-run # anywhere: tiny sizes on whatever JAX finds (CI runs it)
# Extra arguments go to gpu_check.py. Results land in $OUT when the device tool sets it, else in
# benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && PY=.venv/bin/python
if ! "$PY" -c "import mujoco.mjx, brax" 2>/dev/null; then
  if ! ls .whl/*.whl >/dev/null 2>&1; then
    echo "gpu_check: MuJoCo/MJX/Brax are missing and there is no .whl/; run ../shared/tools/device-wheels here and carry .whl" >&2
    exit 2
  fi
  site=$(mktemp -d)
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl/*.whl
  [ -d .whl/gymnasium_robotics ] && cp -r .whl/gymnasium_robotics "$site"/
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
if ! "$PY" -c "import dexvip_jax.envs" 2>/dev/null; then
  # Not installed (the device image): the package as pyproject.toml lays it out, linked to this tree.
  pkg=$(mktemp -d)
  cp -r dexvip_jax "$pkg"/
  for sub in envs experiments prior_data; do ln -s "$PWD/$sub" "$pkg/dexvip_jax/$sub"; done
  export PYTHONPATH="$pkg${PYTHONPATH:+:$PYTHONPATH}"
fi
out=()
[ -n "${OUT:-}" ] && out=(--out "$OUT")
export PYTHONUNBUFFERED=1
exec "$PY" benchmarks/gpu_check.py "${out[@]}" "$@"
