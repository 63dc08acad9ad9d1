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

"""The real patch series on copies of nova 34.0.0.

Two layouts, both made from the nova sdist (cached under
``~/.cache/nova-cassandra/sdist``, downloaded with pip when absent): the
unpacked sdist, a source tree; and its ``nova`` package beside a
``nova-34.0.0.dist-info`` made from its metadata, as pip installs it.
"""

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import fixtures
from stevedore import _cache as stevedore_cache
import testtools

from nova_cassandra import exception
from nova_cassandra.patching import operations
from nova_cassandra.patching import series
from nova_cassandra.patching import trees

SDIST_DIR = os.path.expanduser(os.path.join(
    '~', '.cache', 'nova-cassandra', 'sdist'))
SDIST = os.path.join(SDIST_DIR, 'nova-%s.tar.gz' % series.NOVA_VERSION)
SOURCE = 'nova-%s' % series.NOVA_VERSION
DIST_INFO = 'nova-%s.dist-info' % series.NOVA_VERSION


def _sdist():
    """The nova sdist; fails the test when it cannot be downloaded."""
    if not os.path.exists(SDIST):
        result = subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--no-deps',
             '--no-binary', ':all:', 'nova==%s' % series.NOVA_VERSION,
             '-d', SDIST_DIR], capture_output=True, text=True, check=False)
        if result.returncode:
            raise AssertionError('cannot download the nova sdist into %s: '
                                 '%s' % (SDIST_DIR, result.stderr))
    return SDIST


def _snapshot(root):
    """The SHA-256 of every file under ``root``, by relative path."""
    digests = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, 'rb') as f:
                digests[os.path.relpath(path, root)] = hashlib.sha256(
                    f.read()).hexdigest()
    return digests


class TestSeriesOnNova(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        """Unpack the sdist and lay out its installed form, once."""
        super().setUpClass()
        cls.pristine = tempfile.mkdtemp(prefix='nova-cassandra-sdist-')
        with tarfile.open(_sdist()) as sdist:
            sdist.extractall(cls.pristine, filter='data')
        source = os.path.join(cls.pristine, SOURCE)
        installed = os.path.join(cls.pristine, 'site-packages')
        shutil.copytree(os.path.join(source, 'nova'),
                        os.path.join(installed, 'nova'))
        os.makedirs(os.path.join(installed, DIST_INFO))
        for name, origin in (('METADATA', 'PKG-INFO'),
                             ('entry_points.txt', 'entry_points.txt')):
            shutil.copy(os.path.join(source, 'nova.egg-info', origin),
                        os.path.join(installed, DIST_INFO, name))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pristine)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.series = series.read_series()

    def _copy(self, layout):
        """A fresh copy of the pristine ``layout`` and its nova tree."""
        root = os.path.join(self.useFixture(fixtures.TempDir()).path, layout)
        shutil.copytree(os.path.join(self.pristine, layout), root)
        return root, trees.find_tree(root)

    def _round_trip(self, root, tree):
        """Apply twice, check, revert twice: back to the first bytes."""
        before = _snapshot(root)
        self.assertFalse(operations.check(tree, self.series))
        self.assertTrue(operations.apply(tree, self.series))
        self.assertTrue(operations.check(tree, self.series))
        applied = _snapshot(root)
        self.assertFalse(operations.apply(tree, self.series))
        self.assertEqual(applied, _snapshot(root))
        self.assertEqual(
            {'nova.scheduler.host_manager': ['host_manager'],
             'nova.scheduler.claims': ['placement']},
            self._series_entry_points(tree))
        changed = self._changed(before, applied)
        self.assertTrue(operations.revert(tree, self.series))
        self.assertFalse(operations.revert(tree, self.series))
        self.assertEqual(before, _snapshot(root))
        return changed

    @staticmethod
    def _changed(before, after):
        return sorted(path for path in set(before) | set(after)
                      if before.get(path) != after.get(path))

    @staticmethod
    def _series_entry_points(tree):
        """The entry points of the series' namespaces nova's metadata has."""
        dist = importlib.metadata.PathDistribution.at(
            os.path.dirname(tree.entry_points_file))
        found = {}
        for entry_point in dist.entry_points:
            if entry_point.group.startswith('nova.scheduler.'):
                found.setdefault(entry_point.group, []).append(
                    entry_point.name)
        return found

    def test_source_tree(self):
        root, tree = self._copy(SOURCE)
        self.assertFalse(tree.installed)
        changed = self._round_trip(root, tree)
        self.assertIn('pyproject.toml', changed)
        self.assertIn('nova/scheduler/claims.py', changed)
        self.assertIn('nova.egg-info/entry_points.txt', changed)
        # A release note per patch but 0002, a move that changes nothing.
        self.assertEqual(len(self.series) - 1, len(
            [path for path in changed if path.startswith('releasenotes/')]))

    def test_upgrade_from_an_older_shorter_series(self):
        # A nova patched by a nova-cassandra whose series ended a patch
        # earlier gets the rest, and is then as if patched at once.
        at_once_root, at_once = self._copy('site-packages')
        operations.apply(at_once, self.series)
        root, tree = self._copy('site-packages')
        self.assertTrue(operations.apply(tree, self.series[:-1]))
        self.assertRaises(exception.PatchSeriesPartlyApplied,
                          operations.check, tree, self.series)
        self.assertTrue(operations.apply(tree, self.series))
        self.assertTrue(operations.check(tree, self.series))
        self.assertEqual(_snapshot(at_once_root), _snapshot(root))

    def test_installed_layout(self):
        root, tree = self._copy('site-packages')
        self.assertTrue(tree.installed)
        changed = self._round_trip(root, tree)
        self.assertEqual(
            [DIST_INFO + '/entry_points.txt'],
            [path for path in changed if not path.startswith('nova/')])
        self.assertIn('nova/tests/unit/scheduler/test_claims.py', changed)

    def test_stale_entry_point_caches_dropped(self):
        # stevedore's cache keys cannot tell an entry_points.txt written a
        # few seconds later from the one they read: apply and revert must
        # remove the caches that read nova's, and only those.
        cache_home = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('XDG_CACHE_HOME',
                                                     cache_home))
        cache_dir = os.path.join(cache_home, 'python-entrypoints')
        root, tree = self._copy('site-packages')
        other = self.useFixture(fixtures.TempDir()).path
        os.makedirs(cache_dir)
        for operation in (operations.apply, operations.revert):
            for path in ((root,), (other,)):
                # As stevedore writes one (it does not under /tmp).
                digest, path_values = stevedore_cache._hash_settings_for_path(
                    path)
                with open(os.path.join(cache_dir, digest), 'w') as f:
                    json.dump({'groups': {}, 'path_values': path_values}, f)
            self.assertEqual(2, len(os.listdir(cache_dir)))
            self.assertTrue(operation(tree, self.series))
            [kept] = os.listdir(cache_dir)
            with open(os.path.join(cache_dir, kept)) as f:
                self.assertEqual([[other, os.path.getmtime(other)]],
                                 json.load(f)['path_values'])

    def test_tampered_file_refused_untouched(self):
        root, tree = self._copy('site-packages')
        manager = os.path.join(root, 'nova', 'scheduler', 'manager.py')
        with open(manager) as f:
            text = f.read()
        with open(manager, 'w') as f:
            f.write(text.replace('host_manager.HostManager()',
                                 'host_manager.HostManager()  # local'))
        before = _snapshot(root)
        for operation in (operations.apply, operations.revert,
                          operations.check):
            e = self.assertRaises(exception.PatchConflict,
                                  operation, tree, self.series)
            self.assertIn('0001-scheduler-host-manager-option.patch: '
                          'nova/scheduler/manager.py: Hunk #', str(e))
        self.assertEqual(before, _snapshot(root))
