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
