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

# Sphinx configuration of nova-cassandra's documentation (tox -e docs).

import os

extensions = [
    'openstackdocstheme',
    # .. show-options:: renders the options listed under the
    # oslo.config.opts entry point of setup.cfg.
    'oslo_config.sphinxext',
]

project = 'nova-cassandra'
copyright = '2026, nova-cassandra developers'
master_doc = 'index'
exclude_patterns = []
pygments_style = 'native'

# openstackdocstheme
html_theme = 'openstackdocs'
openstackdocs_repo_name = 'x/nova-cassandra'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False


# bugs/index lists the reports in doc/source/bugs with a glob toctree, added
# here only when there is one: a glob matching nothing is a warning (an
# error under -W) that Sphinx 9 gives no way to suppress.
BUG_REPORTS_TOCTREE = """

.. toctree::
   :glob:
   :maxdepth: 1

   *
"""


def _bug_reports(app, docname, source):
    if docname != 'bugs/index':
        return
    reports = [name for name in os.listdir(os.path.join(app.srcdir, 'bugs'))
               if name.endswith('.rst') and name != 'index.rst']
    source[0] += BUG_REPORTS_TOCTREE if reports else '\nNone yet.\n'


def setup(app):
    app.connect('source-read', _bug_reports)
