"""Placement 16.0.0's allocation retry over-commits a provider on MariaDB.

``placement_race.py`` races two allocation writes for a provider with room
for one of them, deterministically: the first is held after its first usage
read until the second has committed. It runs in a child process, on a
database of its own on the stack's MariaDB, with a copy of this
environment's placement first on ``sys.path``.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid

import fixtures
import placement
import sqlalchemy as sa
from sqlalchemy import pool

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


def _placement_copy(dest):
    """Copy this environment's placement package into ``dest``."""
    package = os.path.dirname(placement.__file__)
    shutil.copytree(package, os.path.join(dest, 'placement'),
                    ignore=shutil.ignore_patterns('__pycache__'))
    return dest


class TestPlacementRetry(base.TestCase):

    def _race(self, placement_root):
        """The race's outcome with the placement in ``placement_root``."""
        database = self.useFixture(PlacementDatabase())
        result = subprocess.run(
            [sys.executable, RACE, database.url], capture_output=True,
            text=True, check=False, timeout=self.TIMEOUT - 10,
            env=dict(os.environ, PYTHONPATH=placement_root))
        if result.returncode:
            raise AssertionError('the race failed: %s' % result.stderr)
        return json.loads(result.stdout.splitlines()[-1])

    def test_stock_placement_overcommits(self):
        root = _placement_copy(self.useFixture(fixtures.TempDir()).path)
        self.assertEqual(
            {'first': 204, 'second': 204, 'used': 2, 'capacity': 1},
            self._race(root))
