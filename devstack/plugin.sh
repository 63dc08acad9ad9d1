# shellcheck shell=bash
# devstack plugin for nova-cassandra:
#   enable_plugin nova-cassandra <repository> [branch]
# Phases: stack install|post-config|extra|test-config, unstack, clean.

_XTRACE_NOVA_CASSANDRA=$(set +o | grep xtrace)
set -o xtrace

# shellcheck source=devstack/lib/cassandra
source "$NOVA_CASSANDRA_DIR/devstack/lib/cassandra"

if is_service_enabled n-cassandra; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing nova-cassandra and Apache Cassandra"
        install_nova_cassandra
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Starting Cassandra and configuring nova for it"
        start_cassandra_service
        configure_nova_cassandra
        init_nova_cassandra
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Host rows for the compute nodes nova already has"
        backfill_nova_cassandra_hosts
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        if is_service_enabled tempest; then
            configure_tempest_nova_cassandra
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_cassandra_service
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_nova_cassandra
    fi
fi

$_XTRACE_NOVA_CASSANDRA
