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

"""A placement API of a set-up's own, on the stack's placement database.

  python -m nova_cassandra_experiment.placement_api --bind 127.0.0.1:PORT \
      [--placement-path DIR] --config-file placement.conf [--config-file ...]

For a set-up that tunes placement's own options (``stock-tuned``) or runs
placement patched with ``patches/placement/`` (``stock-fixed``, the
placement package imported from DIR): the stack's ``placement.conf`` with
the set-up's overrides, served by gunicorn with as many workers as the
stack's placement has.  placement reads one
``placement.conf`` from ``OS_PLACEMENT_CONFIG_DIR``; here it reads the files
given instead.
"""

import argparse
import os
import sys

from nova_cassandra_experiment import end_to_end
from nova_cassandra_experiment import nova_api
from nova_cassandra_experiment import processes

# As tools/lib/openstack starts the stack's placement.
WORKERS = 2


def stack_conf(nova_config_files):
    """Where tools/stack.sh keeps placement.conf, beside nova's directory."""
    etc = os.path.dirname(os.path.dirname(os.path.abspath(
        nova_config_files[0])))
    return os.path.join(etc, 'placement', 'placement.conf')


class Server(processes.ProcessGroup):
    """The stack's placement with ``overrides``, on a port of its own."""

    def __init__(self, nova_config_files, overrides, run_dir,
                 placement_path=None):
        super().__init__()
        self.url = 'http://127.0.0.1:%d' % end_to_end.free_port()
        self.process = processes.Process(
            'placement-api',
            [sys.executable, '-m', __name__,
             '--bind', self.url.split('//')[1]] +
            (['--placement-path', placement_path] if placement_path else []),
            [stack_conf(nova_config_files)], overrides, run_dir)

    def start_all(self, timeout):
        self.start(self.process)
        self.wait_for('placement on %s' % self.url, self._answers, timeout)

    def _answers(self):
        return end_to_end.API(self.url).answers()

    def nova_conf(self):
        """nova.conf overrides that send nova's placement calls here."""
        return {'placement': {'endpoint_override': self.url}}


def _placement(config_files):
    from placement import wsgi

    wsgi._get_config_files = lambda env=None: config_files
    from placement.wsgi import api
    return api.application


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--bind', required=True)
    parser.add_argument('--placement-path')
    parser.add_argument('--config-file', action='append', required=True)
    args = parser.parse_args()
    config_files = [os.path.abspath(path) for path in args.config_file]
    if args.placement_path:
        sys.path.insert(0, args.placement_path)
    nova_api.Gunicorn({'bind': args.bind, 'workers': WORKERS},
                      lambda: _placement(config_files)).run()


if __name__ == '__main__':
    main()
