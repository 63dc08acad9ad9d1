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

"""Refuse a commit subject longer than 72 characters, as OpenStack does.

  python3 tools/check-commit-subject.py [REV]

Checks the subject of REV (default ``HEAD``) only, so the history is left
as it is; ``tox -e pep8`` runs it, so CI checks each new head of main.
Outside a git checkout (an sdist) there is nothing to check.
"""

import os
import subprocess
import sys

MAX_LENGTH = 72
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    rev = (argv or sys.argv[1:] or ['HEAD'])[0]
    if not os.path.exists(os.path.join(REPO, '.git')):
        print('Not a git checkout: no commit subject to check.',
              file=sys.stderr)
        return 0
    try:
        subject = subprocess.run(
            ['git', 'log', '-1', '--format=%s', rev, '--'], cwd=REPO,
            check=True, capture_output=True, encoding='utf-8').stdout
    except subprocess.CalledProcessError as e:
        print('git log failed: %s' % e.stderr.strip(), file=sys.stderr)
        return 1
    subject = subject.rstrip('\n')
    if len(subject) > MAX_LENGTH:
        print('The subject of %s is %d characters, more than %d:\n  %s\n'
              'Shorten it (git commit --amend before pushing) and move the '
              'rest to the body.' % (rev, len(subject), MAX_LENGTH, subject),
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
