#!/usr/bin/env bash
# Re-resolve requirements/*.in into exact pins (requirements/*.lock) in throw-away venvs.
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^find_python()/,/^}/p' scripts/setup.sh)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for spec in "app:3.12" "rasa:3.10"; do
  name=${spec%%:*}; version=${spec##*:}
  python=$(find_python "$version") || { echo "[lock] Python $version not found" >&2; exit 1; }
  echo "[lock] resolving requirements/$name.in with $("$python" --version)"
  "$python" -m venv "$tmp/$name"
  "$tmp/$name/bin/pip" install --quiet --upgrade pip
  # Lines marked `# --no-deps` are installed without their declared dependencies.
  "$tmp/$name/bin/pip" install --quiet -r <(grep -v -- '# --no-deps' "requirements/$name.in")
  grep -- '# --no-deps' "requirements/$name.in" | sed 's/#.*//' | xargs -r \
    "$tmp/$name/bin/pip" install --quiet --no-deps
  "$tmp/$name/bin/pip" freeze --exclude-editable > "requirements/$name.lock"
  echo "[lock] wrote requirements/$name.lock ($(wc -l < "requirements/$name.lock") pins)"
done
