#!/usr/bin/env bash
# Install, start and stop Apache Cassandra from Maven Central.
#
#   tools/cassandra.sh install        resolve cassandra-all into ~/.cache
#   tools/cassandra.sh start|stop     the single node on 127.0.0.1:9042
#   tools/cassandra.sh ring N         N nodes on 127.0.0.1..N (stops the single node)
#   tools/cassandra.sh ring-stop      stop the ring
#   tools/cassandra.sh status|clean
set -euo pipefail
# shellcheck source=tools/lib/common
source "$(dirname "$0")/lib/common"
# shellcheck source=tools/lib/cassandra
source "$NC_TOOLS_DIR/lib/cassandra"

case "${1:-}" in
    install) install_cassandra ;;
    start) start_cassandra ;;
    stop) stop_cassandra ;;
    ring) start_cassandra_ring "${2:-3}" ;;
    ring-stop) stop_cassandra_ring ;;
    status) cassandra_status ;;
    clean) cleanup_cassandra ;;
    *) nc_die "usage: $0 install|start|stop|ring N|ring-stop|status|clean" ;;
esac
