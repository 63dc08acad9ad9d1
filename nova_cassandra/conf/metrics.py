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

"""The ``[metrics]`` options: where a process writes the counts it keeps."""

from oslo_config import cfg

metrics_group = cfg.OptGroup(
    'metrics',
    title='Counters options',
    help="""
nova-cassandra counts its own work in each process (claims taken, lost
compare-and-sets, store rows read, host states built, candidates handed to
nova). The counts are kept in memory; these options have each process write
them to a file too, for whoever watches it (the experiment does).
""")

metrics_opts = [
    cfg.StrOpt('snapshot_dir',
        help="""
Directory each process that counts something writes its counts to, as JSON
(``{"pid": ..., "written_at": ..., "counts": {...}}``) in
``<program>-<pid>.json``: one file per process, since nova's services fork
workers. Written every ``snapshot_interval`` seconds from the first count
on, and at a normal exit. Unset, nothing is written.
"""),
    cfg.FloatOpt('snapshot_interval',
        default=5.0,
        min=0.1,
        help='Seconds between two writes of a process\'s counts.'),
]


def register_opts(conf):
    conf.register_group(metrics_group)
    conf.register_opts(metrics_opts, group=metrics_group)


def list_opts():
    return {metrics_group: metrics_opts}
