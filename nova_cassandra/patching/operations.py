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

"""Check, apply and revert a series on a tree, with GNU ``patch``.

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

import os
import re
import shutil
import subprocess
import tempfile

from nova_cassandra import exception
from nova_cassandra.patching import entry_points


def _applicable(tree, diff):
    """Whether ``diff`` is for a file ``tree`` has (or can have)."""
    if not tree.installed:
        return True
    if not diff.path.startswith(tree.project + '/'):
        return False
    target = os.path.join(tree.root, diff.path)
    return os.path.exists(os.path.dirname(target) if diff.creates
                          else target)


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
    diffs = []
    created = set()  # files an earlier patch creates, changed by later ones
    for patch in series:
        kept = [d for d in patch.diffs
                if d.path in created or _applicable(tree, d)]
        created.update(d.path for d in kept if d.creates)
        diffs.append((patch.name, kept))
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
    listed, _, _ = entry_points.state(tree, series)
    if listed is not None and listed != applied:
        raise exception.PatchSeriesPartlyApplied(
            tree=tree.describe(), reason='its files are %spatched but %s %s '
            'the series\' entry points' % (
                '' if applied else 'not ', tree.entry_points_file,
                'has' if listed else 'lacks'))
    return applied


def _write_with_entry_points(tree, changes):
    """``_write_all``, then retire caches of the old entry points."""
    _write_all(tree, changes)
    if tree.entry_points_file in changes:
        entry_points.drop_caches(tree.entry_points_file)


def apply(tree, series):
    """Apply the series, or the part not applied; False when it was."""
    _, patched, _ = _series_state(tree, series)
    changes = patched or {}
    listed, text, block = entry_points.state(tree, series)
    if listed is False:
        changes[tree.entry_points_file] = (
            entry_points.without(text) + block).encode()
    _write_with_entry_points(tree, changes)
    return bool(changes)


def revert(tree, series):
    """Revert the series, or its part applied; False when none was."""
    _, _, reverted = _series_state(tree, series)
    changes = reverted or {}
    listed, text, _ = entry_points.state(tree, series)
    if listed is not None and entry_points.BEGIN in text:
        changes[tree.entry_points_file] = entry_points.without(
            text).encode()
    _write_with_entry_points(tree, changes)
    return bool(changes)
