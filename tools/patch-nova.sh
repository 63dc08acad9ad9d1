#!/usr/bin/env bash
# Apply patches/series to the nova of a virtualenv.  A nova patched by
# another version of the series (the series changed since it was applied)
# neither takes nor reverts the series: it is reinstalled, stock, from the
# version constraints.txt pins, and the series applied to that.  The
# package's directory goes first, since pip leaves the files the series
# added (they are not in nova's RECORD).
#
#   tools/patch-nova.sh BIN_DIR [--nova-path SITE_PACKAGES]
#
# BIN_DIR: the virtualenv's bin/, with python and nova-cassandra-manage.
set -uo pipefail
# shellcheck source=tools/lib/common
source "$(dirname "$0")/lib/common"
bin=${1:?usage: $0 BIN_DIR [--nova-path SITE_PACKAGES]}
shift
"$bin/nova-cassandra-manage" patches apply "$@" && exit 0
nc_log "reinstalling stock nova into $bin/.. to apply the series afresh"
package=$("$bin/python" -c 'import importlib.util as u
print(u.find_spec("nova").submodule_search_locations[0])') \
    || nc_die "no nova in $bin/.."
[[ $package == */site-packages/nova ]] || nc_die "not an installed nova: $package"
"$bin/python" -m pip uninstall -q -y nova \
    || nc_die "could not uninstall nova from $bin/.."
rm -rf "$package"
"$bin/python" -m pip install -q --no-deps -c "$NC_REPO_DIR/constraints.txt" nova \
    || nc_die "could not reinstall nova into $bin/.."
"$bin/nova-cassandra-manage" patches apply "$@" \
    || nc_die "could not apply patches/ to the nova in $bin/.."
