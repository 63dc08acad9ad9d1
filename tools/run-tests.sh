#!/usr/bin/env bash
# The whole test suite, as CI runs it: pep8 (flake8, shellcheck, HEAD's
# commit subject), the documentation (built with warnings as errors), unit
# tests, nova's own scheduler and resource tracker unit tests on the patched
# nova, placement's own unit and functional tests on the patched placement,
# and functional tests against the real stack (started here), nova's
# in-process services and a 3-node Cassandra ring.  Ends with the names of
# the tests that failed and the line "N passed, N failed" (stestr's totals
# over every env), and exits non-zero if anything failed.
#
#   bash tools/run-tests.sh [tox -e envlist, default: pep8,docs,py3,nova-unit,placement-unit,functional,nova-functional]
set -uo pipefail
# shellcheck source=tools/lib/common
source "$(dirname "$0")/lib/common"
cd "$NC_REPO_DIR" || exit 1

envs=${1:-pep8,docs,py3,nova-unit,placement-unit,functional,nova-functional}
python3 -m tox --version >/dev/null 2>&1 \
    || python3 -m pip install -q 'tox>=4.6' || nc_die "could not install tox"
nc_apt_install shellcheck patch

mkdir -p "$NC_WORK_DIR/logs"
log=$NC_WORK_DIR/logs/run-tests.log
python3 -m tox -e "$envs" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

total() {
    grep -E "^ - $1: [0-9]+" "$log" | awk '{sum += $NF} END {print sum + 0}'
}
# The failures' names, so that the end of the log says what to re-run.
grep -E '^\{[0-9]+\} .* \.\.\. (FAILED|unexpected success)' "$log" \
    | sed -E 's/^\{[0-9]+\} /failed: /; s/ \[[0-9.]+s\] \.\.\. .*$//'
# An expected failure that passed is a failure: its entry is stale.
echo "$(total Passed) passed, $(( $(total Failed) + $(total 'Unexpected Success') )) failed"
exit "$rc"
