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

"""The patch series nova-cassandra ships, read into patches and diffs."""

import collections
import os
import re
import sysconfig

from nova_cassandra import exception

NOVA_VERSION = '34.0.0'
PLACEMENT_VERSION = '16.0.0'


def _shipped_patches_dir(package_dir=None, data_dir=None):
    """``patches/`` of a source tree, else where pbr installed it.

    ``package_dir``: the ``nova_cassandra`` package's directory.
    """
    package_dir = package_dir or os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
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

_DIFF_START = re.compile(r'^diff --git a/\S+ b/(?P<path>\S+)$')

FileDiff = collections.namedtuple('FileDiff', 'path creates text')
"""One file's part of a patch: its path, whether it creates it, the diff."""

Patch = collections.namedtuple('Patch', 'name diffs')


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
