"""Check, apply and revert ``patches/series`` on a nova tree.

The series adds the extension points nova-cassandra plugs into (see
``patches/README.rst``). It is written against one nova release,
``NOVA_VERSION``; any other version is refused. ``patches/placement/series``
(placement's allocation retry fix, against ``PLACEMENT_VERSION``) is
handled the same way on a placement tree: ``PROJECTS`` tells the two apart.

Two layouts of nova are handled:

- a source tree (an unpacked sdist or a git checkout, recognised by its
  ``setup.cfg`` or ``pyproject.toml``): every file of the series is patched,
  release notes and ``pyproject.toml`` included;
- an installed nova (the directory holding the ``nova`` package, such as
  ``site-packages``): only files under ``nova/`` are patched (a new file only
  where its directory exists), since that is all such a tree has.

The series registers entry points in ``pyproject.toml``, which an installed
nova never reads again: its distribution's ``entry_points.txt`` (in a source
tree, ``nova.egg-info/entry_points.txt``, if any) gets the same entry points
as a marked block, so stevedore finds the defaults the patched code loads.
Revert removes the block.

The work is done by GNU ``patch``, the tool ``patches/README.rst`` tells
people to apply the series with: the command and the manual path cannot
disagree on what applies, and ``patch`` already detects an applied (reversed)
patch, allows hunk offsets, and creates and removes files. Fuzz is off, so a
hunk applies only where its whole context matches.

No operation leaves a half-patched tree: the series is first applied (or
reverted) in a scratch copy of the files it touches, and only when every
patch went through are the results written into the tree, all of them or,
should a write fail, none.  A tree with only the series' first patches
(applied by an older nova-cassandra with fewer of them) gets the rest.
"""

import collections
import configparser
import email.parser
import glob
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sysconfig
import tempfile

from stevedore import _cache as stevedore_cache

from nova_cassandra import exception

NOVA_VERSION = '34.0.0'
PLACEMENT_VERSION = '16.0.0'


def _shipped_patches_dir(package_dir=None, data_dir=None):
    """``patches/`` of a source tree, else where pbr installed it."""
    package_dir = package_dir or os.path.dirname(os.path.abspath(__file__))
    source = os.path.join(os.path.dirname(package_dir), 'patches')
    if os.path.isfile(os.path.join(source, 'series')):
        return source
    return os.path.join(data_dir or sysconfig.get_path('data'), 'share',
                        'nova-cassandra', 'patches')


PATCHES_DIR = _shipped_patches_dir()

Project = collections.namedtuple(
    'Project', 'name distribution version series_dir')
"""A project a series patches: its package (and the project's name), its
distribution's name, the version the series is for, and the series'
directory relative to ``PATCHES_DIR``."""

PROJECTS = {
    'nova': Project('nova', 'nova', NOVA_VERSION, ''),
    'placement': Project('placement', 'openstack-placement',
                         PLACEMENT_VERSION, 'placement'),
}

# The marked block this module adds to, and removes from, the metadata of
# a nova that cannot re-read pyproject.toml.
_ENTRY_POINTS_BEGIN = '# Added by nova-cassandra-manage patches apply.\n'
_ENTRY_POINTS_END = '# End of nova-cassandra patches.\n'

_DIFF_START = re.compile(r'^diff --git a/\S+ b/(?P<path>\S+)$')
_SECTION = re.compile(r'^\[project\.entry-points\."(?P<group>[^"]+)"\]$')
_ENTRY_POINT = re.compile(r'^(?P<name>\S+) = "(?P<value>[^"]+)"$')

FileDiff = collections.namedtuple('FileDiff', 'path creates text')
"""One file's part of a patch: its path, whether it creates it, the diff."""

Patch = collections.namedtuple('Patch', 'name diffs')


class NovaTree(collections.namedtuple(
        'NovaTree', 'root installed version entry_points_file project',
        defaults=('nova',))):
    """A nova (or ``project``) to patch: ``root`` holds its package.

    ``entry_points_file`` is the metadata file to emulate the series'
    entry points in, or None when there is none to keep in step.
    """

    def describe(self):
        return '%s %s (%s) at %s' % (
            self.project, self.version,
            'installed' if self.installed else 'source tree',
            self.root)


def _split_diffs(name, text):
    """The per-file diffs of a patch; the mail header and signature go."""
    diffs = []
    for line in text.splitlines(keepends=True):
        match = _DIFF_START.match(line.rstrip('\n'))
        if match:
            diffs.append([match.group('path'), False, [line]])
        elif line == '-- \n':
            break
        elif diffs:
            diffs[-1][2].append(line)
            if line.startswith('new file mode'):
                diffs[-1][1] = True
    if not diffs:
        raise exception.PatchSeriesInvalid(
            path=name, reason='it holds no diff')
    return [FileDiff(path, creates, ''.join(lines))
            for path, creates, lines in diffs]


def read_series(patches_dir=None, project='nova'):
    """The patches ``series`` lists, in order.

    They are read from ``patches_dir``, by default the project's directory
    in ``PATCHES_DIR``.
    """
    patches_dir = patches_dir or os.path.join(
        PATCHES_DIR, PROJECTS[project].series_dir)
    series_file = os.path.join(patches_dir, 'series')
    try:
        with open(series_file) as f:
            names = [line.strip() for line in f
                     if line.strip() and not line.startswith('#')]
        series = []
        for name in names:
            with open(os.path.join(patches_dir, name)) as f:
                series.append(Patch(name, _split_diffs(name, f.read())))
    except OSError as e:
        raise exception.PatchSeriesInvalid(path=patches_dir, reason=e)
    if not series:
        raise exception.PatchSeriesInvalid(
            path=series_file, reason='it lists no patch')
    return series


def _default_root(project):
    spec = importlib.util.find_spec(project)
    if spec is None or not spec.submodule_search_locations:
        raise exception.NovaNotFound(
            project=project, path='the Python environment of this command')
    return os.path.dirname(list(spec.submodule_search_locations)[0])


def _installed_distribution(root, project):
    """The dist-info directory of the ``project`` installed in ``root``."""
    name = PROJECTS[project].distribution
    for path in glob.glob(os.path.join(root, '*.dist-info')):
        dist = importlib.metadata.PathDistribution.at(path)
        if (dist.metadata['Name'] or '').lower() == name:
            return path, dist.version
    raise exception.NovaVersionUnknown(
        project=project, path=root,
        reason='no %s-*.dist-info directory beside it' % name)


def _egg_info(project):
    return PROJECTS[project].distribution.replace('-', '_') + '.egg-info'


def _source_version(root, project):
    """The version of a source tree, from its package metadata."""
    for pkg_info in (os.path.join(root, 'PKG-INFO'),
                     os.path.join(root, _egg_info(project), 'PKG-INFO')):
        if os.path.exists(pkg_info):
            with open(pkg_info) as f:
                return email.parser.Parser().parse(f)['Version']
    setup_cfg = configparser.ConfigParser(interpolation=None)
    setup_cfg.read(os.path.join(root, 'setup.cfg'))
    version = setup_cfg.get('metadata', 'version', fallback=None)
    if version is None:
        raise exception.NovaVersionUnknown(
            project=project, path=root, reason='no PKG-INFO, %s/PKG-INFO '
            'or setup.cfg version' % _egg_info(project))
    return version


def find_tree(path=None, project='nova'):
    """The nova (or ``project``) at ``path``, or the one this Python imports.

    Raises ``NovaNotFound`` without the project's package there,
    ``NovaVersionUnknown`` when its version cannot be read and
    ``UnsupportedNovaVersion`` unless it is the one in ``PROJECTS``.
    """
    root = os.path.abspath(path or _default_root(project))
    if not os.path.isdir(os.path.join(root, project)):
        raise exception.NovaNotFound(project=project, path=root)
    installed = not any(os.path.exists(os.path.join(root, name))
                        for name in ('setup.cfg', 'pyproject.toml'))
    if installed:
        dist_info, version = _installed_distribution(root, project)
        entry_points_file = os.path.join(dist_info, 'entry_points.txt')
    else:
        version = _source_version(root, project)
        entry_points_file = os.path.join(
            root, _egg_info(project), 'entry_points.txt')
        if not os.path.exists(entry_points_file):
            entry_points_file = None
    supported = PROJECTS[project].version
    if version != supported:
        raise exception.UnsupportedNovaVersion(
            project=project, version=version, path=root, supported=supported)
    return NovaTree(root, installed, version, entry_points_file, project)


def copy_installed(dest, project='nova'):
    """Copy the ``project`` this Python imports into ``dest``; its tree.

    The package and its dist-info are copied (compiled files left out), so
    that a series can be applied to the copy and the copy imported from
    ``dest`` instead, leaving the environment's own untouched.
    """
    root = _default_root(project)
    dist_info, _ = _installed_distribution(root, project)
    for path in (os.path.join(root, project), dist_info):
        shutil.copytree(path, os.path.join(dest, os.path.basename(path)),
                        ignore=shutil.ignore_patterns('__pycache__'),
                        dirs_exist_ok=True)
    return find_tree(dest, project)


def _applicable(tree, diff):
    """Whether ``diff`` is for a file ``tree`` has (or can have)."""
    if not tree.installed:
        return True
    if not diff.path.startswith(tree.project + '/'):
        return False
    target = os.path.join(tree.root, diff.path)
    return os.path.exists(os.path.dirname(target) if diff.creates
                          else target)


def _entry_points_block(series):
    """The series' pyproject.toml entry points, as entry_points.txt lines.

    The lines come as the marked block that stands in for them. Each entry
    point must have its section header in its hunk, added or as context.
    """
    groups = collections.OrderedDict()
    for patch in series:
        for diff in patch.diffs:
            if diff.path != 'pyproject.toml':
                continue
            group = None
            for line in diff.text.splitlines():
                section = _SECTION.match(line[1:])
                entry_point = _ENTRY_POINT.match(line[1:])
                if line[:1] in ' +' and section:
                    group = section.group('group')
                elif line.startswith('@@'):
                    group = None
                elif line.startswith('+') and entry_point:
                    if group is None:
                        raise exception.PatchSeriesInvalid(
                            path=patch.name, reason='no section header in '
                            'the hunk that adds %s' % line[1:])
                    groups.setdefault(group, []).append(
                        '%s = %s\n' % entry_point.group('name', 'value'))
    sections = ''.join('[%s]\n%s\n' % (group, ''.join(lines))
                       for group, lines in groups.items())
    return '\n' + _ENTRY_POINTS_BEGIN + sections + _ENTRY_POINTS_END


def _patch_program():
    program = shutil.which('patch')
    if program is None:
        raise exception.PatchToolMissing()
    return program


class _PatchFailed(Exception):
    """A patch did not go through.

    The message names the patch and the first of ``patch``'s complaints,
    each prefixed with its file.
    """

    SHOWN = 2
    # patch's progress and summary lines, which say nothing new.
    QUIET = re.compile(r'^(Hunk #\d+ succeeded|\d+ out of \d+ hunks? )')

    def __init__(self, patch, output):
        complaints = []
        path = None
        for line in output.splitlines():
            line = line.strip().rstrip('.')
            if line.startswith('patching file '):
                path = line[len('patching file '):]
            elif line and not self.QUIET.match(line):
                complaints.append('%s: %s' % (path, line) if path else line)
        more = len(complaints) - self.SHOWN
        super().__init__('%s: %s%s' % (
            patch, '; '.join(complaints[:self.SHOWN]) or 'patch failed',
            ' (and %d more)' % more if more > 0 else ''))


def _run_series(tree, series, reverse):
    """Apply (or revert) the series in a scratch copy of its files.

    Returns the files' new contents by path relative to the tree's root
    (None for a file the series removes). Raises ``_PatchFailed`` at the
    first patch that does not go through.
    """
    program = _patch_program()
    diffs = [(patch.name, [d for d in patch.diffs if _applicable(tree, d)])
             for patch in series]
    paths = {d.path for _, patch_diffs in diffs for d in patch_diffs}
    with tempfile.TemporaryDirectory(prefix='nova-cassandra-') as scratch:
        for path in paths:
            if os.path.exists(os.path.join(tree.root, path)):
                os.makedirs(os.path.dirname(os.path.join(scratch, path)),
                            exist_ok=True)
                shutil.copy2(os.path.join(tree.root, path),
                             os.path.join(scratch, path))
        for name, patch_diffs in (reversed(diffs) if reverse else diffs):
            result = subprocess.run(
                # --forward, with or without --reverse, makes patch refuse
                # a patch that seems the wrong way round instead of
                # applying it the other way round.
                [program, '-p1', '--batch', '--forward', '--fuzz=0',
                 '--no-backup-if-mismatch', '--reject-file=-',
                 '--directory', scratch] + (['--reverse'] if reverse else []),
                input=''.join(d.text for d in patch_diffs),
                capture_output=True, text=True, check=False)
            if result.returncode:
                raise _PatchFailed(name, result.stdout + result.stderr)
        return {path: _read(os.path.join(scratch, path)) for path in paths}


def _read(path):
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as f:
        return f.read()


def _write(path, content):
    """Replace ``path`` with ``content``, keeping its permissions.

    A ``content`` of None removes the file.
    """
    if content is None:
        if os.path.exists(path):
            os.remove(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.NamedTemporaryFile(
            dir=os.path.dirname(path), delete=False) as f:
        f.write(content)
    if os.path.exists(path):
        shutil.copymode(path, f.name)
    else:
        os.chmod(f.name, 0o644)
    os.replace(f.name, path)


def _write_all(tree, contents):
    """Write every file of ``contents`` into the tree, or none.

    ``contents`` maps paths relative to the tree's root (or absolute) to
    contents. Should a write fail, the files already written are put back
    and ``PatchWriteFailed`` is raised.
    """
    originals = {}
    try:
        for path, content in contents.items():
            target = os.path.join(tree.root, path)
            originals[target] = _read(target)
            _write(target, content)
    except OSError as e:
        for target, content in originals.items():
            _write(target, content)
        raise exception.PatchWriteFailed(
            path=e.filename or tree.root, reason=e.strerror or e,
            root=tree.root)


def _series_state(tree, series):
    """How many of the series' patches the files have, and the flips.

    Returns ``(applied, forward, backward)``: the tree has the series' first
    ``applied`` patches (none, all, or a leading part: what an older
    nova-cassandra with fewer patches applied), ``forward`` the files with
    the rest applied (None when none is left) and ``backward`` with those
    reverted (None when there are none).  Raises ``PatchConflict`` when no
    leading part of the series reverts with the rest applying.
    """
    try:
        return 0, _run_series(tree, series, reverse=False), None
    except _PatchFailed as e:
        forward = e
    backward = None
    for applied in range(len(series), 0, -1):
        try:
            reverted = _run_series(tree, series[:applied], reverse=True)
            rest = (_run_series(tree, series[applied:], reverse=False)
                    if applied < len(series) else None)
        except _PatchFailed as e:
            backward = backward or e
            continue
        return applied, rest, reverted
    raise exception.PatchConflict(
        tree=tree.describe(), forward=forward, backward=backward)


def _without_entry_points(text):
    """``entry_points.txt`` text without a block any series added."""
    return re.sub(r'\n%s.*?%s' % (re.escape(_ENTRY_POINTS_BEGIN),
                                  re.escape(_ENTRY_POINTS_END)),
                  '', text, flags=re.DOTALL)


def _entry_points_state(tree, series):
    """(whether the marked block is there, the file's text, the block).

    All None when there is no metadata to keep in step: no file, or no
    entry point in the series.
    """
    if tree.entry_points_file is None or not any(
            diff.path == 'pyproject.toml'
            for patch in series for diff in patch.diffs):
        return None, None, None
    with open(tree.entry_points_file) as f:
        text = f.read()
    block = _entry_points_block(series)
    return block in text, text, block


def check(tree, series):
    """Whether the series is applied (True) or applies cleanly (False).

    Raises ``PatchConflict`` when the tree is in neither state and
    ``PatchSeriesPartlyApplied`` when it has only the series' first patches
    or its files and its entry points metadata disagree (``apply`` and
    ``revert`` mend both).
    """
    count, _, _ = _series_state(tree, series)
    if 0 < count < len(series):
        raise exception.PatchSeriesPartlyApplied(
            tree=tree.describe(), reason='it has the first %d of the '
            'series\' %d patches, not %s' % (count, len(series),
                                             series[count].name))
    applied = count == len(series)
    listed, _, _ = _entry_points_state(tree, series)
    if listed is not None and listed != applied:
        raise exception.PatchSeriesPartlyApplied(
            tree=tree.describe(), reason='its files are %spatched but %s %s '
            'the series\' entry points' % (
                '' if applied else 'not ', tree.entry_points_file,
                'has' if listed else 'lacks'))
    return applied


def _drop_entry_point_caches(entry_points_file):
    """Remove stevedore's cached entry points that read ``entry_points_file``.

    stevedore keys each cache file on the mtimes of the ``sys.path``
    entries and their ``entry_points.txt`` files, packed as 32-bit floats:
    today that is 128 seconds of resolution, so a cache written just before
    the series changed nova's entry points would keep hiding them.
    """
    cache_dir = stevedore_cache._get_cache_dir()
    try:
        names = os.listdir(cache_dir)
    except FileNotFoundError:
        return
    target = os.path.realpath(entry_points_file)
    for name in names:
        path = os.path.join(cache_dir, name)
        try:
            with open(path) as f:
                read = {os.path.realpath(entry)
                        for entry, _ in json.load(f)['path_values']}
            if target in read:
                os.remove(path)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not a cache file, or gone meanwhile


def _write_with_entry_points(tree, changes):
    """``_write_all``, then retire caches of the old entry points."""
    _write_all(tree, changes)
    if tree.entry_points_file in changes:
        _drop_entry_point_caches(tree.entry_points_file)


def apply(tree, series):
    """Apply the series, or the part not applied; False when it was."""
    _, patched, _ = _series_state(tree, series)
    changes = patched or {}
    listed, text, block = _entry_points_state(tree, series)
    if listed is False:
        changes[tree.entry_points_file] = (
            _without_entry_points(text) + block).encode()
    _write_with_entry_points(tree, changes)
    return bool(changes)


def revert(tree, series):
    """Revert the series, or its part applied; False when none was."""
    _, _, reverted = _series_state(tree, series)
    changes = reverted or {}
    listed, text, _ = _entry_points_state(tree, series)
    if listed is not None and _ENTRY_POINTS_BEGIN in text:
        changes[tree.entry_points_file] = _without_entry_points(
            text).encode()
    _write_with_entry_points(tree, changes)
    return bool(changes)
