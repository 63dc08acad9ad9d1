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

"""nova-api (nova's WSGI application) under gunicorn, started like nova's
other services, which nova 34 has no console script for::

  python -m nova_cassandra_experiment.nova_api --bind 127.0.0.1:PORT \
      --config-file nova.conf [--config-file ...]

nova reads its options from ``sys.argv`` and ``OS_NOVA_CONFIG_FILES``
(whose first file is the paste pipeline: the one nova installs):
gunicorn is run from here, so that its arguments are not nova's.
"""

import argparse
import os
import sys

from gunicorn.app import base


class Gunicorn(base.BaseApplication):
    """gunicorn with ``options``, serving what ``load()`` returns."""

    def __init__(self, options, load):
        self.options = options
        self.load = load
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            self.cfg.set(name, value)


def _osapi_compute():
    from nova.wsgi import osapi_compute
    return osapi_compute.application


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--bind', required=True)
    parser.add_argument('--config-file', action='append', required=True)
    args = parser.parse_args()
    paste = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')
    os.environ['OS_NOVA_CONFIG_FILES'] = ';'.join(
        [paste] + [os.path.abspath(path) for path in args.config_file])
    sys.argv = sys.argv[:1]
    Gunicorn({'bind': args.bind, 'workers': 1, 'threads': 4},
             _osapi_compute).run()


if __name__ == '__main__':
    main()
