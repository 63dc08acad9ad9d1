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

# Sphinx configuration of nova-cassandra's release notes (tox -e
# releasenotes); the notes are the YAML files of releasenotes/notes, made
# with `reno new <slug>`.

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

project = 'nova-cassandra Release Notes'
copyright = '2026, nova-cassandra developers'
master_doc = 'index'
exclude_patterns = []
pygments_style = 'native'

# openstackdocstheme
html_theme = 'openstackdocs'
openstackdocs_repo_name = 'x/nova-cassandra'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False
