#!/usr/bin/env bash
# README's first command: set up the stack (installing what is missing) and
# run the main job, nova-cassandra-experiment.  Extra arguments go to it,
# e.g. --preset standard (default: quick).  Results land in experiment-results/
set -euo pipefail
# shellcheck source=tools/lib/common
source "$(dirname "$0")/lib/common"
# shellcheck source=tools/lib/openstack
source "$NC_TOOLS_DIR/lib/openstack"

bash "$NC_TOOLS_DIR/stack.sh" up
"$NC_VENV/bin/nova-cassandra-experiment" --config-file "$NOVA_CONF" \
    --output-dir "$NC_REPO_DIR/experiment-results" "$@"
