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

"""The series' entry points, in a distribution that cannot re-read them.

The series registers entry points in ``pyproject.toml``, which an installed
nova never reads again: its distribution's ``entry_points.txt`` (in a source
tree, ``nova.egg-info/entry_points.txt``, if any) gets the same entry points
as a marked block, so stevedore finds the defaults the patched code loads.
Revert removes the block.
"""

import collections
import json
import os
import re

from stevedore import _cache as stevedore_cache

from nova_cassandra import exception

# The marked block added to, and removed from, the metadata of a nova that
# cannot re-read pyproject.toml.
BEGIN = '# Added by nova-cassandra-manage patches apply.\n'
END = '# End of nova-cassandra patches.\n'

_SECTION = re.compile(r'^\[project\.entry-points\."(?P<group>[^"]+)"\]$')
_ENTRY_POINT = re.compile(r'^(?P<name>\S+) = "(?P<value>[^"]+)"$')


def block(series):
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
    return '\n' + BEGIN + sections + END


def without(text):
    """``entry_points.txt`` text without a block any series added."""
    return re.sub(r'\n%s.*?%s' % (re.escape(BEGIN),
                                  re.escape(END)),
                  '', text, flags=re.DOTALL)


def state(tree, series):
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
    series_block = block(series)
    return series_block in text, text, series_block


def drop_caches(entry_points_file):
    """Remove stevedore's cached entry points that read ``entry_points_file``.

    stevedore keys each cache file on the mtimes of the ``sys.path``
    entries and their ``entry_points.txt`` files, packed as 32-bit floats:
    today that is 128 seconds of resolution, so a cache written just before
    the series changed nova's entry points would keep hiding them.
    stevedore has no public call that drops its cache files, hence its
    private ``_cache`` module for where they are.
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
