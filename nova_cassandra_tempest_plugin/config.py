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

"""Tempest options of the nova-cassandra plugin."""

from oslo_config import cfg

service_option = cfg.BoolOpt(
    'nova_cassandra', default=True,
    help='Whether nova schedules with nova-cassandra (host state and '
         'claims in Apache Cassandra).')

group = cfg.OptGroup(
    name='nova_cassandra', title='nova-cassandra scheduler tests')

opts = [
    cfg.IntOpt('scheduler_services', default=1, min=1,
               help='nova-scheduler services that must be up for the '
                    'concurrent boot scenario to run; it is skipped below '
                    'that. Each host running nova-scheduler is one service, '
                    'whatever its [scheduler] workers.'),
    cfg.IntOpt('boot_requests', default=4, min=1,
               help='Server create requests sent at once, so that several '
                    'schedulers (or scheduler workers) place them '
                    'concurrently. Set it to at least twice the number of '
                    'scheduler processes.'),
    cfg.IntOpt('servers_per_request', default=2, min=1,
               help='Servers each create request asks for (multi-create, '
                    'min_count = max_count). The test project\'s quota must '
                    'hold boot_requests * servers_per_request servers.'),
    cfg.StrOpt('flavor_ref',
               help='Flavor of the servers; [compute] flavor_ref when '
                    'unset. A flavor with which boot_requests * '
                    'servers_per_request servers exceed the free capacity '
                    'makes the schedulers race for the last room, where a '
                    'double booking would show.'),
]
