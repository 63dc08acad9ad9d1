#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Numbered schema migrations: how every store applies and checks them.

A store's schema is a tuple of migrations numbered from 1, each applied
once and recorded in the store (``schema_migrations``); the highest
recorded is the store's version.  ``sync`` applies those a store lacks,
``check`` is what services call at start-up, so that code and schema that
disagree fail loudly instead of misreading rows.  Each store says how a
migration is applied and recorded, and which error names a mismatch.
"""

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def sync(migrations, found, apply, mismatch):
    """Apply the ``migrations`` a store at version ``found`` lacks, in order.

    ``apply(migration)`` applies one and records it.  Returns the versions
    applied.  Raises ``mismatch(action=...)`` when the store is newer than
    every migration (synced by newer code).
    """
    if found > migrations[-1].version:
        raise mismatch(action='upgrade nova-cassandra before syncing.')
    applied = []
    for migration in migrations:
        if migration.version > found:
            LOG.info('Applying schema migration %d: %s', migration.version,
                     migration.description)
            apply(migration)
            applied.append(migration.version)
    return applied


def check(migrations, found, sync_command, mismatch):
    """Raise ``mismatch(action=...)`` unless a store at ``found`` is current.

    ``sync_command``: what brings an older store up to date.
    """
    latest = migrations[-1].version
    if found < latest:
        raise mismatch(action="run '%s'." % sync_command)
    if found > latest:
        raise mismatch(action='upgrade nova-cassandra on this host.')
