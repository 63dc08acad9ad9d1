#!/usr/bin/env bash
# The whole single-node stack: Cassandra, MariaDB, RabbitMQ, placement, and
# nova's and nova-cassandra's schemas, installed on first use and started.
#
#   tools/stack.sh up       install what is missing, start everything, sync schemas
#   tools/stack.sh down     stop everything (data kept under .work/)
#   tools/stack.sh status   which services run
#   tools/stack.sh clean    stop everything and remove .work/ state
#   tools/stack.sh env      print the settings other tools read (eval-able)
set -euo pipefail
# shellcheck source=tools/lib/common
source "$(dirname "$0")/lib/common"
for lib in cassandra mariadb rabbitmq openstack; do
    # shellcheck source=/dev/null
    source "$NC_TOOLS_DIR/lib/$lib"
done

stack_up() {
    local start=$SECONDS
    install_venv
    NC_PYTHON=$NC_VENV/bin/python  # used by start_cassandra's CQL check
    export NC_PYTHON
    # The extension points nova-cassandra plugs into (patches/series).
    nc_apt_install patch
    bash "$NC_TOOLS_DIR/patch-nova.sh" "$NC_VENV/bin" || exit 1
    start_mariadb
    start_rabbitmq
    start_cassandra
    configure_openstack
    sync_openstack_dbs
    sync_cassandra_schema
    start_placement
    nc_log "stack up in $((SECONDS - start))s; nova.conf: $NOVA_CONF"
}

stack_down() {
    stop_placement
    stop_cassandra
    stop_cassandra_ring
    stop_rabbitmq
    stop_mariadb
}

stack_status() {
    cassandra_status
    local name pidfile
    for name in mariadb:$MARIADB_DIR/mariadb.pid rabbitmq:$RABBITMQ_DIR/rabbitmq.pid \
                placement:$NC_STATE_DIR/placement.pid; do
        pidfile=${name#*:}
        if nc_pid_alive "$pidfile"; then
            printf '%-9s running (pid %s)\n' "${name%%:*}" "$(cat "$pidfile")"
        else
            printf '%-9s stopped\n' "${name%%:*}"
        fi
    done
}

stack_env() {
    printf 'NC_VENV=%q\nNOVA_CONF=%q\nNC_WORK_DIR=%q\n' "$NC_VENV" "$NOVA_CONF" "$NC_WORK_DIR"
    printf 'NC_MARIADB_URL=%q\nNC_TRANSPORT_URL=%q\n' "$(mariadb_url '')" "$(rabbitmq_url)"
}

case "${1:-}" in
    up) stack_up ;;
    down) stack_down ;;
    status) stack_status ;;
    clean) stack_down; cleanup_cassandra; cleanup_mariadb; cleanup_rabbitmq; rm -rf "$NC_WORK_DIR" ;;
    env) stack_env ;;
    *) nc_die "usage: $0 up|down|status|clean|env" ;;
esac
