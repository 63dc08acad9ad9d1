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

"""Options listed for oslo-config-generator (``tox -e genconfig``)."""

from nova_cassandra.conf import cassandra
from nova_cassandra.conf import metrics
from nova_cassandra.conf import mysql


def list_opts():
    return [(group, opts) for module in (cassandra, mysql, metrics)
            for group, opts in module.list_opts().items()]
