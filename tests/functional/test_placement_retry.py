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

"""Placement 16.0.0's allocation retry, stock and with patches/placement/.

``placement_race.py`` races two allocation writes for a provider with room
for one of them, deterministically: the first is held after its first usage
read until the second has committed. It runs in a child process, on a
database of its own on the stack's MariaDB, with a copy of this
environment's placement first on ``sys.path``: the series reverted from the
copy (stock 16.0.0, which over-commits) or applied to it, as
``nova-cassandra-manage patches apply --project placement`` applies it.
"""

import json
import os
import subprocess
import sys
import uuid

import fixtures
import sqlalchemy as sa
from sqlalchemy import pool

from nova_cassandra.patching import operations
from nova_cassandra.patching import series
from nova_cassandra.patching import trees
from tests.functional import base

RACE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    'placement_race.py')


class PlacementDatabase(fixtures.Fixture):
    """An empty database of its own on the stack's MariaDB; ``url``."""

    def _setUp(self):
        server = sa.engine.make_url(
            base.nova_conf()['api_database']['connection']).set(database='')
        name = 'placement_%s' % uuid.uuid4().hex[:16]
        admin = sa.create_engine(server, poolclass=pool.NullPool)
        self.addCleanup(admin.dispose)
        try:
            with admin.begin() as connection:
                connection.execute(sa.text('CREATE DATABASE %s' % name))
        except sa.exc.OperationalError as e:
            raise AssertionError('%s; %s' % (e, base.HOW_TO_START))
        self.addCleanup(self._drop, admin, name)
        self.url = server.set(database=name).render_as_string(
            hide_password=False)

    @staticmethod
    def _drop(admin, name):
        with admin.begin() as connection:
            connection.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))


def _placement_copy(dest, patched):
    """``dest``, with this environment's placement copied in.

    placement's series is applied to the copy if ``patched``, else reverted.
    """
    tree = trees.copy_installed(dest, 'placement')
    placement_series = series.read_series(project='placement')
    (operations.apply if patched else operations.revert)(tree,
                                                         placement_series)
    return dest


class TestPlacementRetry(base.TestCase):

    def _race(self, patched):
        """The race's outcome on placement, ``patched`` or not."""
        placement_root = _placement_copy(
            self.useFixture(fixtures.TempDir()).path, patched)
        database = self.useFixture(PlacementDatabase())
        result = subprocess.run(
            [sys.executable, RACE, database.url], capture_output=True,
            text=True, check=False, timeout=self.TIMEOUT - 10,
            env=dict(os.environ, PYTHONPATH=placement_root))
        if result.returncode:
            raise AssertionError('the race failed: %s' % result.stderr)
        return json.loads(result.stdout.splitlines()[-1])

    def test_stock_placement_overcommits(self):
        self.assertEqual(
            {'first': 204, 'second': 204, 'used': 2, 'capacity': 1},
            self._race(patched=False))

    def test_patched_placement_refuses_the_retry(self):
        # The first writer's retry sees the second's allocation.
        self.assertEqual(
            {'first': 409, 'second': 204, 'used': 1, 'capacity': 1},
            self._race(patched=True))
