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

"""Check, apply and revert the patch series on a nova (or placement) tree.

``patches/series`` adds the extension points nova-cassandra plugs into
(see ``patches/README.rst``); ``patches/placement/series`` fixes
placement's allocation retry.  Each is written against one release of its
project and any other version is refused.

- ``series``: the series shipped with nova-cassandra, read into patches
  and per-file diffs;
- ``trees``: finding the tree to patch, a source tree or an installed
  package, and its version;
- ``entry_points``: the series' ``pyproject.toml`` entry points, kept in
  step in an installed distribution's ``entry_points.txt``;
- ``operations``: ``check``, ``apply`` and ``revert``, done by GNU
  ``patch`` in a scratch copy and written into the tree all at once.
"""
