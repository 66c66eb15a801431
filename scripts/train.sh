#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed.
# Inputs: data/, domain.yml, config.yml, nlu/ (our custom components) and the Rasa lock file.
# The model lands in models/medsec.tar.gz (git-ignored); the hash of the inputs next to it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[train]\033[0m %s\n' "$*"; }

[ -x .venv-rasa/bin/rasa ] || { echo "[train] error: .venv-rasa is missing; run scripts/setup.sh (make setup) first" >&2; exit 1; }

hash_inputs() {
  find data nlu domain.yml config.yml requirements/rasa.lock -type f \
       ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

MODEL=models/medsec.tar.gz
STAMP=models/medsec.inputs.sha256
want=$(hash_inputs)
force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
if [ $force = 0 ] && [ -f "$MODEL" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  say "model up to date ($MODEL, inputs unchanged) - skipped"
  exit 0
fi

mkdir -p models
say "training $MODEL (inputs changed; about a minute on 2 cores)"
start=$(date +%s)
# PYTHONPATH=. lets Rasa import our components in nlu/.
PYTHONPATH=. .venv-rasa/bin/rasa train --fixed-model-name medsec --out models "$@" \
  || { echo "[train] error: rasa train failed" >&2; exit 1; }
[ -f "$MODEL" ] || { echo "[train] error: rasa train produced no $MODEL" >&2; exit 1; }
echo "$want" > "$STAMP"
say "trained in $(( $(date +%s) - start )) s"
