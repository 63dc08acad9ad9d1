#!/usr/bin/env bash
# Run shellcheck on every shell file of the project (tools/ and devstack/).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null \
    || { echo "ERROR: shellcheck is missing: apt-get install shellcheck" >&2; exit 1; }
mapfile -t files < <(grep -rlE '^#!/usr/bin/env bash|^# shellcheck shell=bash' tools devstack .ci 2>/dev/null)
shellcheck -x -P SCRIPTDIR "${files[@]}"
echo "shellcheck: ${#files[@]} files clean"
