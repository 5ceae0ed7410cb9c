#!/usr/bin/env bash
# The two commands of sangaku:
#   ./run.sh reproduce   verify raw data, build processed data, run every notebook, render the HTML site
#   ./run.sh test        build processed data, run the unit tests and re-execute the notebooks under nbval
# Both set up the project's environment first: the active conda env if it already has the package, else .venv
# (created with python3 and the pinned versions in requirements.lock).
set -euo pipefail
cd "$(dirname "$0")"

setup_env() {
  if [ -n "${CONDA_PREFIX:-}" ] && python -c "import analysis, papermill, nbval" 2>/dev/null; then
    PY=python
  else
    local venv="${SANGAKU_VENV:-.venv}"
    local stamp="$venv/.sangaku-installed"
    local want
    want=$(cat pyproject.toml requirements.lock | python3 -c "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())")
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      echo "[setup] installing the environment in $venv (once; pinned in requirements.lock)"
      python3 -m venv "$venv"
      "$venv/bin/python" -m pip install --quiet --upgrade pip
      "$venv/bin/python" -m pip install --quiet -r requirements.lock
      "$venv/bin/python" -m pip install --quiet --no-deps -e .
      echo "$want" > "$stamp"
    fi
    PY="$venv/bin/python"
  fi
  # The notebooks name the kernel "sangaku"; register it inside this environment so papermill and nbval find it.
  "$PY" -m ipykernel install --sys-prefix --name sangaku --display-name "Python (sangaku)" >/dev/null 2>&1
  export PATH="$(dirname "$("$PY" -c 'import sys; print(sys.executable)')"):$PATH"
  export PYTHONHASHSEED=0 MPLBACKEND=Agg
  # Work is parallel across notebooks and test workers; threaded BLAS on top only oversubscribes the cores.
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  reproduce)
    setup_env
    "$PY" -m analysis.cli reproduce "$@"
    ;;
  test)
    setup_env
    "$PY" -m analysis.cli data
    "$PY" -m pytest -n 2 --dist loadfile tests notebooks --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg "$@"
    ;;
  *)
    echo "usage: ./run.sh reproduce | test [pytest args]" >&2
    exit 64
    ;;
esac
