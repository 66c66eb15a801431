#!/usr/bin/env bash
# One-time (and safe to repeat) set-up of medsec's two Python environments.
#
#   .venv       Python 3.12: our code (clinic, actions, bot), rasa-sdk, python-telegram-bot, tests
#   .venv-rasa  Python 3.10: rasa==3.6.21 (the last open-source Rasa runs only on <= 3.10)
#
# Each environment is rebuilt only when its pinned lock file (or the interpreter) changed:
# the sha256 of the inputs is stored inside the venv and compared on the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Find an interpreter of the given minor version: PATH, then pyenv, then uv.
find_python() {
  local v=$1 candidate
  for candidate in "python$v" ; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    candidate=$(ls -d "$root"/versions/"$v".*/bin/python 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  fi
  if command -v uv >/dev/null 2>&1; then
    candidate=$(uv python find "$v" 2>/dev/null || true)
    if [ -n "$candidate" ]; then echo "$candidate"; return 0; fi
  fi
  return 1
}

inputs_hash() {  # hash of the interpreter version and the files that define an env
  local python=$1; shift
  { "$python" -c 'import sys; print(sys.version)'; cat "$@"; } | sha256sum | cut -d' ' -f1
}

make_env() {
  local dir=$1 python=$2 label=$3; shift 3
  local files=("$@") stamp="$dir/.medsec-inputs.sha256"
  local want; want=$(inputs_hash "$python" "${files[@]}")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then
    say "$label: up to date ($dir, inputs unchanged) - skipped"
    return 1
  fi
  if [ -x "$dir/bin/python" ] && ! "$dir/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$dir"
  fi
  if [ ! -x "$dir/bin/python" ]; then
    say "$label: creating $dir with $("$python" --version 2>&1)"
    "$python" -m venv "$dir"
  fi
  say "$label: installing pinned packages (first time: a few minutes)"
  "$dir/bin/python" -m pip install --quiet --upgrade pip
  return 0
}

stamp_env() {
  local dir=$1 python=$2; shift 2
  inputs_hash "$python" "$@" > "$dir/.medsec-inputs.sha256"
}

missing=()
PY312=$(find_python 3.12) || missing+=("Python 3.12 (for .venv)")
PY310=$(find_python 3.10) || missing+=("Python 3.10 (for .venv-rasa; Rasa 3.6 does not run on newer Pythons)")
if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do printf '[setup] missing: %s\n' "$m" >&2; done
  die "install them with pyenv ('pyenv install 3.12 3.10'), uv ('uv python install 3.12 3.10') or your OS packages, then run this again"
fi

# --- app env ---------------------------------------------------------------
APP_INPUTS=(requirements/app.lock pyproject.toml)
if make_env .venv "$PY312" "app env" "${APP_INPUTS[@]}"; then
  .venv/bin/pip install --progress-bar on -r requirements/app.lock
  .venv/bin/pip install --quiet --no-deps -e .
  stamp_env .venv "$PY312" "${APP_INPUTS[@]}"
  say "app env: ready"
fi

# --- rasa env --------------------------------------------------------------
RASA_INPUTS=(requirements/rasa.lock)
if make_env .venv-rasa "$PY310" "rasa env" "${RASA_INPUTS[@]}"; then
  # The lock is a complete freeze, so no resolving is needed (and one package must not bring
  # its declared dependencies: see requirements/rasa.in).
  .venv-rasa/bin/pip install --progress-bar on --no-deps -r requirements/rasa.lock
  stamp_env .venv-rasa "$PY310" "${RASA_INPUTS[@]}"
  say "rasa env: ready ($(.venv-rasa/bin/rasa --version 2>/dev/null | grep -m1 'Rasa Version' | tr -s ' ' || echo rasa))"
fi
