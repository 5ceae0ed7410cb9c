#!/usr/bin/env bash
# The two commands of sangaku:
#   ./run.sh reproduce   verify raw data, build processed data, run every notebook, render the HTML site
#   ./run.sh test        build processed data, run the unit tests and re-execute the notebooks under nbval
#                        (pytest args are passed on; paths among them replace the default "tests notebooks")
#   ./run.sh lab         open JupyterLab on notebooks/ with the project's kernel "sangaku" (args go to jupyter lab)
# All set up the project's environment first: the active conda env if it already has the package, else .venv
# (created with python3 and the pinned versions in requirements.lock). `test` first makes sure the browser test
# has Debian's chromium and the Japanese fonts: as root it installs them, otherwise it stops with the command.
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
  # The notebooks name the kernel "sangaku"; register it inside this environment so papermill and nbval find it
  # (once: the spec names this interpreter; installing it again costs a third of a second per command).
  local exe kernel_json
  exe=$("$PY" -c 'import sys; print(sys.executable)')
  kernel_json="$("$PY" -c 'import sys; print(sys.prefix)')/share/jupyter/kernels/sangaku/kernel.json"
  if ! grep -qF "\"$exe\"" "$kernel_json" 2>/dev/null; then
    "$PY" -m ipykernel install --sys-prefix --name sangaku --display-name "Python (sangaku)" >/dev/null 2>&1
  fi
  export PATH="$(dirname "$exe"):$PATH"
  export PYTHONHASHSEED=0 MPLBACKEND=Agg
  # Work is parallel across notebooks and test workers; threaded BLAS on top only oversubscribes the cores.
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
  # Every kernel imports the package: with PYTHONDONTWRITEBYTECODE set (some images do) each one would compile its
  # modules again (a no-op reproduce 0.8 s instead of 0.5 s). Bytecode goes to __pycache__/ (ignored by git).
  unset PYTHONDONTWRITEBYTECODE
}

# The browser test of the HTML site drives Debian's headless Chromium, which needs Japanese fonts to render the pages.
BROWSER_PACKAGES="chromium fonts-ipaexfont-gothic fonts-noto-cjk"

browser_missing() {
  # Prints what is missing (nothing when all is there).
  local exe="${SANGAKU_CHROMIUM:-/usr/bin/chromium}" fonts=""
  [ -x "$exe" ] || echo "chromium ($exe)"
  command -v fc-list >/dev/null 2>&1 && fonts=$(fc-list : family)
  grep -qi "IPAexGothic" <<<"$fonts" || echo "fonts-ipaexfont-gothic"
  grep -qi "Noto Sans CJK" <<<"$fonts" || echo "fonts-noto-cjk"
}

setup_browser() {
  local missing log cmd="apt-get update -qq && apt-get install -y -qq $BROWSER_PACKAGES"
  missing=$(browser_missing | paste -sd, | sed 's/,/, /g')
  [ -z "$missing" ] && return 0
  if [ -n "${SANGAKU_CHROMIUM:-}" ] && [ ! -x "$SANGAKU_CHROMIUM" ]; then
    echo "[setup] SANGAKU_CHROMIUM=$SANGAKU_CHROMIUM is not an executable browser: unset it or point it at one" >&2
    exit 69
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "[setup] the browser test needs $missing; run as root: $cmd" >&2
    exit 69
  fi
  echo "[setup] installing $BROWSER_PACKAGES for the browser test (missing: $missing; once, a few minutes)"
  log=$(mktemp -t sangaku-apt.XXXXXX.log)
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $BROWSER_PACKAGES) \
        >"$log" 2>&1 || [ -n "$(browser_missing)" ]; then
    echo "[setup] installing the browser test's packages failed (log: $log); run as root: $cmd" >&2
    exit 69
  fi
  rm -f "$log"
}

# pytest targets: the default, unless the arguments name paths (tests/test_x.py, tests/test_x.py::name).
test_targets() {
  local a
  for a in "$@"; do
    case "$a" in -*) continue ;; esac
    [ -e "${a%%::*}" ] && return 0
  done
  echo tests notebooks
}

cmd="${1:-}"
shift || true
case "$cmd" in
  reproduce)
    setup_env
    "$PY" -m analysis.cli reproduce "$@"
    ;;
  test)
    setup_browser
    setup_env
    "$PY" -m analysis.cli data
    # Whole files per worker (a notebook's cells share one kernel), handed out in the order tests/conftest.py
    # gives them (longest first, tests/durations.toml; the read audit after the notebooks whose runs it reads).
    # tests/no_iri_grammar.py is loaded first: it spares every pytest process jsonschema's unused IRI grammar.
    # shellcheck disable=SC2046  # the default targets are two words on purpose
    "$PY" -m pytest -p tests.no_iri_grammar -n 2 --dist loadfile --no-loadscope-reorder $(test_targets "$@") \
      --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg "$@"
    ;;
  lab)
    setup_env
    "$PY" -m analysis.cli data
    # Jupyter refuses root unless told; root is the usual user in a container.
    root_ok=()
    [ "$(id -u)" = 0 ] && root_ok=(--allow-root)
    exec "$PY" -m jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --no-browser "${root_ok[@]}" "$@"
    ;;
  *)
    echo "usage: ./run.sh reproduce [analysis reproduce args] | test [pytest args] | lab [jupyter lab args]" >&2
    exit 64
    ;;
esac
