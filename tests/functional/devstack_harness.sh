# shellcheck shell=bash
# Stand-ins for the devstack functions plugin.sh calls, so its phases run
# here without a devstack checkout (devstack is not a package).  Each does
# what devstack's does, minus systemd: run_process runs the command as a
# background process, iniset edits an ini file.  Usage:
#   bash devstack_harness.sh PHASE...   (e.g. "stack post-config")

set -euo pipefail

is_service_enabled() { [[ " $ENABLED_SERVICES " == *" $1 "* ]]; }
enable_service() { ENABLED_SERVICES="$ENABLED_SERVICES $*"; }
echo_summary() { echo "SUMMARY: $*"; }
die() { echo "DIE at line $1: ${*:2}" >&2; exit 1; }
setup_develop() { echo "setup_develop $1"; }

run_process() {
    local cmd
    read -ra cmd <<<"$2"
    setsid "${cmd[@]}" >"$DATA_DIR/$1.log" 2>&1 </dev/null &
    echo $! >"$DATA_DIR/$1.pid"
}

stop_process() {
    local pidfile=$DATA_DIR/$1.pid
    [[ -s $pidfile ]] || return 0
    kill -- "-$(cat "$pidfile")" 2>/dev/null || true
    while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 1; done
    rm -f "$pidfile"
}

iniset() {
    python3 - "$@" <<'PY'
import configparser, sys
path, section, key, value = sys.argv[1:5]
parser = configparser.ConfigParser(interpolation=None)
parser.optionxform = str
parser.read(path)
if section != 'DEFAULT' and not parser.has_section(section):
    parser.add_section(section)
parser.set(section, key, value)
with open(path, 'w') as f:
    parser.write(f)
PY
}

ENABLED_SERVICES=${ENABLED_SERVICES:-}
# shellcheck source=devstack/override-defaults
source "$NOVA_CASSANDRA_DIR/devstack/override-defaults"
# shellcheck source=devstack/settings
source "$NOVA_CASSANDRA_DIR/devstack/settings"
# shellcheck source=devstack/plugin.sh
source "$NOVA_CASSANDRA_DIR/devstack/plugin.sh"
