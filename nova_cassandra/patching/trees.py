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

"""The nova (or placement) tree a series is applied to.

Two layouts are handled:

- a source tree (an unpacked sdist or a git checkout, recognised by its
  ``setup.cfg`` or ``pyproject.toml``): every file of the series is patched,
  release notes and ``pyproject.toml`` included;
- an installed package (the directory holding it, such as
  ``site-packages``): only files under the package are patched (a new file
  only where its directory exists), since that is all such a tree has.
"""

import collections
import configparser
import email.parser
import glob
import importlib.metadata
import importlib.util
import os
import shutil

from nova_cassandra import exception
from nova_cassandra.patching import series as series_mod


class Tree(collections.namedtuple(
        'Tree', 'root installed version entry_points_file project',
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


def _default_root(project):
    spec = importlib.util.find_spec(project)
    if spec is None or not spec.submodule_search_locations:
        raise exception.NovaNotFound(
            project=project, path='the Python environment of this command')
    return os.path.dirname(list(spec.submodule_search_locations)[0])


def _installed_distribution(root, project):
    """The dist-info directory of the ``project`` installed in ``root``."""
    name = series_mod.PROJECTS[project].distribution
    for path in glob.glob(os.path.join(root, '*.dist-info')):
        dist = importlib.metadata.PathDistribution.at(path)
        if (dist.metadata['Name'] or '').lower() == name:
            return path, dist.version
    raise exception.NovaVersionUnknown(
        project=project, path=root,
        reason='no %s-*.dist-info directory beside it' % name)


def _egg_info(project):
    distribution = series_mod.PROJECTS[project].distribution
    return distribution.replace('-', '_') + '.egg-info'


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
    supported = series_mod.PROJECTS[project].version
    if version != supported:
        raise exception.UnsupportedNovaVersion(
            project=project, version=version, path=root, supported=supported)
    return Tree(root, installed, version, entry_points_file, project)


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
