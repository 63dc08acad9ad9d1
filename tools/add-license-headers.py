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

"""Add OpenStack's Apache 2.0 header to the Python files that lack one.

  python3 tools/add-license-headers.py [--check] [DIR ...]

Without DIRs, every ``.py`` file of the checkout that git does not ignore
(``git ls-files``, tracked or not) is looked at: wherever packages move,
it covers what flake8 checks.  A file
already carrying a licence notice (``Licensed under the Apache License`` or
an ``SPDX-License-Identifier``) in its first lines is left alone, so running
it twice changes nothing.  Files holding no code (empty ``__init__.py``)
are skipped: hacking's H104 refuses a file of comments only.  The header
goes after a ``#!`` or ``coding`` line, if the file starts with one.

With ``--check`` nothing is written: the files that lack a header are listed
and the exit status is 1 if there are any.  hacking's H102 and H103 check
the same once ``tox.ini`` no longer ignores H102.
"""

import argparse
import os
import re
import subprocess
import sys

HEADER = '''\
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
'''

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where an existing notice is looked for (hacking looks at every line; a
# notice further down is not a header).
NOTICE_LINES = 20
NOTICE = re.compile(r'Licensed under the Apache License|'
                    r'SPDX-License-Identifier:')
PREAMBLE = re.compile(r'^#!|^#.*coding[:=]')
COMMENT_OR_BLANK = re.compile(r'^\s*(#.*)?$')


def checkout_files():
    listed = subprocess.run(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard',
         '-z', '--', '*.py'], cwd=REPO, check=True, capture_output=True,
        encoding='utf-8').stdout
    return sorted(os.path.join(REPO, path)
                  for path in set(listed.split('\0')) if path
                  and os.path.exists(os.path.join(REPO, path)))


def walk(dirs):
    for top in dirs:
        for root, subdirs, files in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d != '__pycache__')
            for name in sorted(files):
                if name.endswith('.py'):
                    yield os.path.join(root, name)


def with_header(text):
    """``text`` with the header added, or None if it needs none."""
    lines = text.splitlines(keepends=True)
    if all(COMMENT_OR_BLANK.match(line) for line in lines):
        return None
    if any(NOTICE.search(line) for line in lines[:NOTICE_LINES]):
        return None
    preamble = 0
    while preamble < len(lines) and PREAMBLE.match(lines[preamble]):
        preamble += 1
    rest = lines[preamble:]
    while rest and not rest[0].strip():
        rest.pop(0)
    return ''.join(lines[:preamble] + [HEADER, '\n'] + rest)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true',
                        help='List the files lacking a header; write none.')
    parser.add_argument('dirs', nargs='*',
                        help="Default: the checkout's files (git ls-files).")
    args = parser.parse_args(argv)
    lacking = 0
    for path in walk(args.dirs) if args.dirs else checkout_files():
        with open(path, encoding='utf-8') as f:
            new = with_header(f.read())
        if new is None:
            continue
        lacking += 1
        print(path)
        if not args.check:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(new)
    verb = 'lack' if args.check else 'were given'
    print('%d files %s a licence header.' % (lacking, verb), file=sys.stderr)
    return 1 if args.check and lacking else 0


if __name__ == '__main__':
    sys.exit(main())
