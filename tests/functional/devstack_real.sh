#!/usr/bin/env bash
# shellcheck disable=SC1091,SC2034  # devstack's files, and the variables they read
# Run the plugin's phases under devstack's own code, sourced in the order
# stack.sh, unstack.sh and clean.sh source it.  Usage:
#   bash devstack_real.sh stack [PHASE...]   (default: every stack phase)
#   bash devstack_real.sh unstack|clean
# Environment: DEVSTACK_DIR (a devstack checkout), DEST (where stack.sh
# would have cloned the projects: DEST/nova-cassandra, DEST/nova),
# DEVSTACK_VENV (the Python environment that has them) and local.conf
# settings (HOST_IP, ENABLED_SERVICES, the plugin's).

[[ -f $DEVSTACK_DIR/functions ]] || { echo "no devstack at $DEVSTACK_DIR" >&2; exit 2; }
MODE=${1-}
shift $(($# > 0))

TOP_DIR=$(cd "$DEVSTACK_DIR" && pwd)
FILES=$TOP_DIR/files
source "$TOP_DIR/functions"

# stackrc, reduced to what the phases use, with stackrc's own values (and
# its defaults for a non-root user: devstack refuses to run as root).
DATA_DIR=$DEST/data
SERVICE_DIR=$DEST/status
LOGDIR=$DEST/logs
STACK_USER=$(whoami)
SERVICE_IP_VERSION=4
HOST_IP=${HOST_IP:?local.conf: HOST_IP}
SERVICE_HOST=${SERVICE_HOST:-$HOST_IP}
SERVICE_LISTEN_ADDRESS=${SERVICE_LISTEN_ADDRESS:-0.0.0.0}
GLOBAL_VENV=True
DEVSTACK_VENV=${DEVSTACK_VENV:?}
# local.conf ([[local|localrc]]): tempest, whose test-config phase the
# plugin's follows; the plugin, already where fetch_plugins would clone it;
# OFFLINE, because nothing may be fetched (devstack then skips git fetches,
# as on a host that has every clone); no parallel tasks
# (a failed stack.sh leaves them waiting, holding its output open).
ENABLED_SERVICES=${ENABLED_SERVICES-tempest}
OFFLINE=True
DEVSTACK_PARALLEL=False
enable_plugin nova-cassandra "file://$DEST/nova-cassandra"

# Everything here is devstack's but for these, each standing in for
# what cannot exist on this machine.  They come after the lib/ files and
# the source phase, which would otherwise redefine them.
_devstack_real_overrides() {
    # lib/nova writes /etc/nova, which belongs to the host's own nova:
    # the same files, under DEST.
    NOVA_CONF_DIR=$DEST/etc/nova
    NOVA_CONF=$NOVA_CONF_DIR/nova.conf
    NOVA_CPU_CONF=$NOVA_CONF_DIR/nova-cpu.conf
    # No requirements repository (its clone is network), so setup_develop
    # has no constraints to edit; and pip would fetch: pip_install lists
    # its arguments in DEST/pip_install.log instead.
    REQUIREMENTS_DIR=
    pip_install() { echo "$*" >>"$DEST/pip_install.log"; }
    # No sudo on this machine, which runs as root (iniset -sudo and the
    # unit files devstack writes use it).
    sudo() { env "$@"; }
    # No systemd: devstack writes its unit files (SYSTEMD_DIR) and drives
    # them through SYSTEMCTL, which stands in for systemctl; it runs a
    # unit's ExecStart in the background, its pid in
    # SERVICE_DIR/UNIT.pid, its output (the journal) in LOGDIR/UNIT.log.
    SYSTEMD_DIR=$DEST/systemd
    SYSTEMCTL=_devstack_real_systemctl
    # Tempest is cloned (network) and configured against a running cloud:
    # its configuration is left as an empty tempest.conf.
    install_tempest() { :; }
    install_tempest_plugins() { :; }
    configure_tempest() { mkdir -p "$TEMPEST_CONFIG_DIR"; : >"$TEMPEST_CONFIG"; }
}

# _devstack_real_systemctl VERB [UNIT]: the verbs devstack uses.
_devstack_real_systemctl() {
    local unit=$2 enabled=$SERVICE_DIR/$2.enabled pidfile=$SERVICE_DIR/$2.pid
    local -a environment argv
    case $1 in
        daemon-reload) ;;
        enable) mkdir -p "$SERVICE_DIR" && touch "$enabled" ;;
        disable) rm -f "$enabled" ;;
        is-enabled) [[ -f $enabled ]] ;;
        start)
            mapfile -t environment < <(xargs -n1 <<<"$(iniget "$SYSTEMD_DIR/$unit" Service Environment)")
            mapfile -t argv < <(xargs -n1 <<<"$(iniget "$SYSTEMD_DIR/$unit" Service ExecStart)")
            [[ ${argv[0]} == /* ]] || die $LINENO "$unit: ExecStart is not an absolute path"
            mkdir -p "$LOGDIR"
            env "${environment[@]}" setsid "${argv[@]}" >"$LOGDIR/$unit.log" 2>&1 </dev/null &
            echo $! >"$pidfile"
            ;;
        stop)
            [[ -f $pidfile ]] || return 0
            kill "$(cat "$pidfile")" 2>/dev/null || true
            local timeout
            timeout=$(iniget "$SYSTEMD_DIR/$unit" Service TimeoutStopSec)
            while kill -0 "$(cat "$pidfile")" 2>/dev/null && ((timeout-- > 0)); do
                sleep 1
            done
            kill -9 "$(cat "$pidfile")" 2>/dev/null || true
            rm -f "$pidfile"
            ;;
        *) die $LINENO "systemctl $1: not emulated" ;;
    esac
}

# stack.sh
_stack() {
    local phases=("$@") phase
    ((${#phases[@]})) || phases=(pre-install install post-config extra test-config)
    set -o errexit
    mkdir -p "$LOGDIR" "$DATA_DIR"
    async_init
    fetch_plugins
    run_phase override_defaults
    source "$TOP_DIR/lib/nova"
    run_phase source
    _devstack_real_overrides
    setup_devstack_virtualenv
    for phase in "${phases[@]}"; do
        run_phase stack "$phase"
    done
}

# unstack.sh (which, unlike stack.sh, goes on after errors)
_unstack() {
    run_phase override_defaults
    source "$TOP_DIR/lib/nova"
    run_phase source
    _devstack_real_overrides
    run_phase unstack
}

# clean.sh: unstack.sh, then the clean phase
_clean() {
    bash "${BASH_SOURCE[0]}" unstack
    source "$TOP_DIR/lib/nova"
    run_phase source
    _devstack_real_overrides
    run_phase clean
}

case $MODE in
    stack) _stack "$@" ;;
    unstack) _unstack ;;
    clean) _clean ;;
    *) echo "usage: $0 stack [PHASE...]|unstack|clean" >&2; exit 2 ;;
esac
