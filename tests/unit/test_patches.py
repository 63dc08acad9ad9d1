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

"""``nova_cassandra.patching`` and ``patches`` sub-command on a tiny nova."""

import io
import os
import shutil
from unittest import mock

import fixtures
import testtools

from nova_cassandra.cmd import manage
from nova_cassandra import exception
from nova_cassandra.patching import entry_points
from nova_cassandra.patching import operations
from nova_cassandra.patching import series
from nova_cassandra.patching import trees

MANAGER = 'import os\n\n\ndef manager():\n    return os.sep\n'
PYPROJECT = '[project]\nname = "nova"\n'
TEST_MANAGER = 'from nova import manager\n'
ENTRY_POINTS = '[console_scripts]\nnova-fake = nova.manager:manager\n'

# Two patches in git format-patch form; the second needs the first.
PATCH_1 = '\n'.join([
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    'Subject: [PATCH 1/2] Use pathsep',
    '',
    '---',
    ' nova/manager.py | 2 +-',
    '',
    'diff --git a/nova/manager.py b/nova/manager.py',
    '--- a/nova/manager.py',
    '+++ b/nova/manager.py',
    '@@ -1,5 +1,5 @@',
    ' import os',
    ' ',
    ' ',
    ' def manager():',
    '-    return os.sep',
    '+    return os.pathsep',
    'diff --git a/pyproject.toml b/pyproject.toml',
    '--- a/pyproject.toml',
    '+++ b/pyproject.toml',
    '@@ -1,2 +1,5 @@',
    ' [project]',
    ' name = "nova"',
    '+',
    '+[project.entry-points."nova.fake"]',
    '+fake = "nova.manager:manager"',
    'diff --git a/releasenotes/notes/fake-0123.yaml '
    'b/releasenotes/notes/fake-0123.yaml',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/releasenotes/notes/fake-0123.yaml',
    '@@ -0,0 +1 @@',
    '+features: []',
    '-- ',
    '2.39.2',
    ''])
PATCH_2 = '\n'.join([
    'Subject: [PATCH 2/2] Add claims',
    '',
    'diff --git a/nova/claims.py b/nova/claims.py',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/nova/claims.py',
    '@@ -0,0 +1 @@',
    "+CLAIMS = 'placement'",
    'diff --git a/nova/tests/test_manager.py b/nova/tests/test_manager.py',
    '--- a/nova/tests/test_manager.py',
    '+++ b/nova/tests/test_manager.py',
    '@@ -1 +1,2 @@',
    ' from nova import manager',
    '+from nova import claims',
    'diff --git a/nova/manager.py b/nova/manager.py',
    '--- a/nova/manager.py',
    '+++ b/nova/manager.py',
    '@@ -3,3 +3,3 @@',
    ' ',
    ' def manager():',
    '-    return os.pathsep',
    '+    return os.linesep',
    ''])


def _write(root, files):
    for path, text in files.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), 'w') as f:
            f.write(text)


def _read_tree(root):
    """Every file under ``root``, by relative path, with its content."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path) as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


class PatchesTestCase(testtools.TestCase):
    """A fake series, a nova source tree and an installed nova to patch."""

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.patches_dir = os.path.join(tmp, 'patches')
        _write(self.patches_dir, {
            'series': '# comment\n0001-a.patch\n\n0002-b.patch\n',
            '0001-a.patch': PATCH_1, '0002-b.patch': PATCH_2})
        self.useFixture(fixtures.MonkeyPatch(
            'nova_cassandra.patching.series.PATCHES_DIR', self.patches_dir))
        self.series = series.read_series()
        self.source = os.path.join(tmp, 'source')
        _write(self.source, {
            'PKG-INFO': 'Metadata-Version: 2.1\nName: nova\n'
                        'Version: 34.0.0\n',
            'pyproject.toml': PYPROJECT, 'nova/manager.py': MANAGER,
            'nova/tests/test_manager.py': TEST_MANAGER})
        self.installed = os.path.join(tmp, 'site-packages')
        _write(self.installed, {
            'nova-34.0.0.dist-info/METADATA': 'Metadata-Version: 2.1\n'
                                              'Name: nova\nVersion: 34.0.0\n',
            'nova-34.0.0.dist-info/entry_points.txt': ENTRY_POINTS,
            'nova/manager.py': MANAGER})


class TestReadSeries(PatchesTestCase):

    def test_patches_in_order_with_their_files(self):
        self.assertEqual(['0001-a.patch', '0002-b.patch'],
                         [patch.name for patch in self.series])
        self.assertEqual(
            [('nova/manager.py', False), ('pyproject.toml', False),
             ('releasenotes/notes/fake-0123.yaml', True)],
            [(diff.path, diff.creates) for diff in self.series[0].diffs])
        self.assertTrue(self.series[1].diffs[0].creates)

    def test_mail_header_and_signature_dropped(self):
        text = ''.join(diff.text for diff in self.series[0].diffs)
        self.assertTrue(text.startswith('diff --git'))
        self.assertNotIn('Subject', text)
        self.assertNotIn('2.39.2', text)

    def test_missing_patch(self):
        os.remove(os.path.join(self.patches_dir, '0002-b.patch'))
        self.assertRaises(exception.PatchSeriesInvalid, series.read_series)

    def test_empty_series(self):
        _write(self.patches_dir, {'series': '# nothing\n'})
        self.assertRaises(exception.PatchSeriesInvalid, series.read_series)

    def test_patch_without_diff(self):
        _write(self.patches_dir, {'0001-a.patch': 'Subject: nothing\n'})
        self.assertRaises(exception.PatchSeriesInvalid, series.read_series)

    def test_entry_points_block(self):
        self.assertEqual(
            '\n# Added by nova-cassandra-manage patches apply.\n'
            '[nova.fake]\nfake = nova.manager:manager\n\n'
            '# End of nova-cassandra patches.\n',
            entry_points.block(self.series))


class TestFindTree(PatchesTestCase):

    def test_source_tree(self):
        tree = trees.find_tree(self.source)
        self.assertEqual((self.source, False, '34.0.0', None, 'nova'), tree)

    def test_source_tree_version_from_setup_cfg(self):
        os.remove(os.path.join(self.source, 'PKG-INFO'))
        _write(self.source, {'setup.cfg': '[metadata]\nversion = 34.0.0\n'})
        self.assertEqual('34.0.0', trees.find_tree(self.source).version)

    def test_source_tree_without_version(self):
        os.remove(os.path.join(self.source, 'PKG-INFO'))
        self.assertRaises(exception.NovaVersionUnknown,
                          trees.find_tree, self.source)

    def test_installed(self):
        tree = trees.find_tree(self.installed)
        self.assertEqual((self.installed, True, '34.0.0', os.path.join(
            self.installed, 'nova-34.0.0.dist-info', 'entry_points.txt'),
            'nova'), tree)

    def test_installed_without_distribution(self):
        shutil.rmtree(os.path.join(self.installed, 'nova-34.0.0.dist-info'))
        self.assertRaises(exception.NovaVersionUnknown,
                          trees.find_tree, self.installed)

    def test_other_version_refused(self):
        _write(self.source, {'PKG-INFO': 'Name: nova\nVersion: 33.1.0\n'})
        e = self.assertRaises(exception.UnsupportedNovaVersion,
                              trees.find_tree, self.source)
        self.assertEqual(
            'nova 33.1.0 in %s is not supported: the patch series is for '
            'nova 34.0.0.' % self.source, str(e))

    def test_no_nova(self):
        self.assertRaises(exception.NovaNotFound,
                          trees.find_tree, self.patches_dir)

    def test_default_is_the_imported_nova(self):
        spec = mock.Mock(submodule_search_locations=[
            os.path.join(self.installed, 'nova')])
        with mock.patch('importlib.util.find_spec', return_value=spec):
            self.assertEqual(self.installed, trees.find_tree().root)


class TestApplyRevert(PatchesTestCase):

    def test_source_tree_round_trip(self):
        tree = trees.find_tree(self.source)
        before = _read_tree(self.source)
        self.assertFalse(operations.check(tree, self.series))

        self.assertTrue(operations.apply(tree, self.series))
        after = _read_tree(self.source)
        self.assertIn('os.linesep', after['nova/manager.py'])
        self.assertIn('nova.fake', after['pyproject.toml'])
        self.assertIn('claims', after['nova/tests/test_manager.py'])
        self.assertEqual("CLAIMS = 'placement'\n", after['nova/claims.py'])
        self.assertIn('releasenotes/notes/fake-0123.yaml', after)
        self.assertTrue(operations.check(tree, self.series))
        self.assertFalse(operations.apply(tree, self.series))
        self.assertEqual(after, _read_tree(self.source))

        self.assertTrue(operations.revert(tree, self.series))
        self.assertEqual(before, _read_tree(self.source))
        self.assertFalse(operations.revert(tree, self.series))

    def test_installed_round_trip(self):
        tree = trees.find_tree(self.installed)
        before = _read_tree(self.installed)

        self.assertTrue(operations.apply(tree, self.series))
        after = _read_tree(self.installed)
        self.assertEqual(
            sorted(list(before) + ['nova/claims.py']), sorted(after))
        self.assertIn('os.linesep', after['nova/manager.py'])
        self.assertEqual(
            ENTRY_POINTS + entry_points.block(self.series),
            after['nova-34.0.0.dist-info/entry_points.txt'])
        self.assertFalse(operations.apply(tree, self.series))

        self.assertTrue(operations.revert(tree, self.series))
        self.assertEqual(before, _read_tree(self.installed))

    def test_installed_file_created_then_changed_by_the_series(self):
        # A later patch changes a file an earlier one created: in an
        # installed tree, where the file is not there before the series.
        _write(self.patches_dir, {
            'series': '0001-a.patch\n0002-b.patch\n0003-c.patch\n',
            '0003-c.patch': '\n'.join([
                'Subject: [PATCH 3/3] Claims elsewhere', '',
                'diff --git a/nova/claims.py b/nova/claims.py',
                '--- a/nova/claims.py', '+++ b/nova/claims.py',
                '@@ -1 +1 @@', "-CLAIMS = 'placement'",
                "+CLAIMS = 'elsewhere'", ''])})
        longer = series.read_series()
        tree = trees.find_tree(self.installed)
        before = _read_tree(self.installed)
        self.assertTrue(operations.apply(tree, longer))
        self.assertEqual("CLAIMS = 'elsewhere'\n",
                         _read_tree(self.installed)['nova/claims.py'])
        self.assertTrue(operations.check(tree, longer))
        self.assertTrue(operations.revert(tree, longer))
        self.assertEqual(before, _read_tree(self.installed))

    def test_tampered_file_refused_untouched(self):
        _write(self.source, {'nova/manager.py': MANAGER.replace(
            'os.sep', 'os.altsep')})
        tree = trees.find_tree(self.source)
        before = _read_tree(self.source)
        e = self.assertRaises(exception.PatchConflict,
                              operations.apply, tree, self.series)
        self.assertIn('0001-a.patch: nova/manager.py: Hunk #1 FAILED', str(e))
        self.assertNotIn('\n', str(e))
        self.assertEqual(before, _read_tree(self.source))
        self.assertRaises(exception.PatchConflict,
                          operations.revert, tree, self.series)
        self.assertEqual(before, _read_tree(self.source))

    def test_entry_points_out_of_step(self):
        tree = trees.find_tree(self.installed)
        operations.apply(tree, self.series)
        _write(self.installed, {
            'nova-34.0.0.dist-info/entry_points.txt': ENTRY_POINTS})
        self.assertRaises(exception.PatchSeriesPartlyApplied,
                          operations.check, tree, self.series)
        self.assertTrue(operations.apply(tree, self.series))
        self.assertTrue(operations.check(tree, self.series))

    def test_older_shorter_series_is_completed_or_reverted(self):
        # What an upgrade from a nova-cassandra with fewer patches finds.
        tree = trees.find_tree(self.installed)
        before = _read_tree(self.installed)
        self.assertTrue(operations.apply(tree, self.series[:1]))
        e = self.assertRaises(exception.PatchSeriesPartlyApplied,
                              operations.check, tree, self.series)
        self.assertIn('it has the first 1 of the series\' 2 patches, not '
                      '0002-b.patch', str(e))
        self.assertTrue(operations.apply(tree, self.series))
        self.assertTrue(operations.check(tree, self.series))
        self.assertEqual(1, _read_tree(self.installed)[
            'nova-34.0.0.dist-info/entry_points.txt'].count(
                entry_points.BEGIN))
        self.assertTrue(operations.revert(tree, self.series))
        self.assertTrue(operations.apply(tree, self.series[:1]))
        self.assertTrue(operations.revert(tree, self.series))
        self.assertEqual(before, _read_tree(self.installed))

    def test_failed_write_restores_the_tree(self):
        tree = trees.find_tree(self.source)
        before = _read_tree(self.source)
        real_write = operations._write
        calls = []

        def second_write_fails(path, content):
            calls.append(path)
            if len(calls) == 2:
                raise PermissionError(13, 'Permission denied', path)
            real_write(path, content)

        with mock.patch.object(operations, '_write',
                               side_effect=second_write_fails):
            self.assertRaises(exception.PatchWriteFailed,
                              operations.apply, tree, self.series)
        self.assertEqual(before, _read_tree(self.source))

    def test_patch_program_missing(self):
        tree = trees.find_tree(self.source)
        with mock.patch('shutil.which', return_value=None):
            self.assertRaises(exception.PatchToolMissing,
                              operations.apply, tree, self.series)


class TestManagePatches(PatchesTestCase):
    """``nova-cassandra-manage patches``: one line, on stdout or stderr.

    An error is one line on stderr and exit status 1.
    """

    def setUp(self):
        super().setUp()
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', self.stdout))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))

    def _run(self, action, path):
        try:
            return manage.main(['--config-file', os.devnull, 'patches',
                                action, '--nova-path', path])
        finally:
            # Clear the parsed arguments, then drop the sub-command option
            # main() registered, so that main() can run again.
            manage.CONF.clear()
            manage.CONF.unregister_opt(manage.category_opt)

    def test_apply_twice_check_revert(self):
        for action in ('apply', 'apply', 'check', 'revert', 'check'):
            self.assertEqual(0, self._run(action, self.installed))
        self.assertEqual([
            'Applied the patch series to nova 34.0.0 (installed) at %s.',
            'Patch series already applied to nova 34.0.0 (installed) at %s.',
            'Patch series applied to nova 34.0.0 (installed) at %s.',
            'Reverted the patch series from nova 34.0.0 (installed) at %s.',
            'Patch series not applied to nova 34.0.0 (installed) at %s; it '
            'applies cleanly.',
        ], [line.replace(self.installed, '%s')
            for line in self.stdout.getvalue().splitlines()])
        self.assertEqual('', self.stderr.getvalue())

    def test_unsupported_version_one_line(self):
        _write(self.installed, {
            'nova-34.0.0.dist-info/METADATA': 'Name: nova\nVersion: 35.0.0\n'})
        self.assertEqual(1, self._run('apply', self.installed))
        self.assertEqual(
            ['ERROR: nova 35.0.0 in %s is not supported: the patch series '
             'is for nova 34.0.0.' % self.installed],
            self.stderr.getvalue().splitlines())


class TestPlacement(PatchesTestCase):
    """placement's series, from patches/placement/, on an installed one."""

    def setUp(self):
        super().setUp()
        _write(self.patches_dir, {
            'placement/series': '0001-p.patch\n',
            'placement/0001-p.patch': PATCH_1.split(
                'diff --git a/pyproject.toml')[0].replace(
                    'nova/', 'placement/')})
        _write(self.installed, {
            'openstack_placement-16.0.0.dist-info/METADATA':
                'Metadata-Version: 2.1\nName: openstack-placement\n'
                'Version: 16.0.0\n',
            'openstack_placement-16.0.0.dist-info/entry_points.txt':
                ENTRY_POINTS,
            'placement/manager.py': MANAGER})

    def test_apply_revert(self):
        tree = trees.find_tree(self.installed, 'placement')
        placement_series = series.read_series(project='placement')
        self.assertEqual('placement 16.0.0 (installed) at %s' % self.installed,
                         tree.describe())
        self.assertTrue(operations.apply(tree, placement_series))
        self.assertTrue(operations.check(tree, placement_series))
        files = _read_tree(self.installed)
        self.assertIn('os.pathsep', files['placement/manager.py'])
        self.assertEqual(MANAGER, files['nova/manager.py'])
        self.assertEqual(ENTRY_POINTS, files[
            'openstack_placement-16.0.0.dist-info/entry_points.txt'])
        self.assertTrue(operations.revert(tree, placement_series))
        self.assertEqual(MANAGER, _read_tree(self.installed)[
            'placement/manager.py'])

    def test_nova_version_refused(self):
        _write(self.installed, {
            'openstack_placement-16.0.0.dist-info/METADATA':
                'Name: openstack-placement\nVersion: 34.0.0\n'})
        e = self.assertRaises(exception.UnsupportedNovaVersion,
                              trees.find_tree, self.installed, 'placement')
        self.assertEqual(
            'placement 34.0.0 in %s is not supported: the patch series is '
            'for placement 16.0.0.' % self.installed, str(e))


class TestShippedPatchesDir(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.package = os.path.join(self.root, 'nova_cassandra')
        os.makedirs(self.package)

    def test_source_tree(self):
        os.makedirs(os.path.join(self.root, 'patches'))
        with open(os.path.join(self.root, 'patches', 'series'), 'w'):
            pass
        self.assertEqual(os.path.join(self.root, 'patches'),
                         series._shipped_patches_dir(self.package, '/prefix'))

    def test_installed_from_a_wheel(self):
        # pbr's data_files put patches/ under the environment's data path.
        self.assertEqual('/prefix/share/nova-cassandra/patches',
                         series._shipped_patches_dir(self.package, '/prefix'))
