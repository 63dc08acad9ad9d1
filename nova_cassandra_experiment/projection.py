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

"""Placements per second past this box: a model fed by a run's CPU figures.

On the experiment's 2 cores every set-up is CPU-bound once K >= 2, so its
placements per second mostly measure the box.  Its CPU milliseconds per
placement, by process group, carry over.  The model, labelled as such
wherever it is printed:

- each scheduler process has a core of its own, so K schedulers have K;
- placement, MariaDB, Cassandra and RabbitMQ each have ``SERVICE_CORES``
  cores and scale linearly on them;
- a group's CPU per placement stays what the run measured (its conflicts
  and retries included), at the run's own K;
- the fleet (the computes) and the driver (the users) are the cloud's own
  and limit nothing here, nor does Cassandra for a set-up that does not
  use it (its idle CPU is in every run's figures).

A group on its cores serves ``cores * 1000 / ms per placement`` placements
per second; the projection is the least of them, and that group is the
bottleneck.  It says nothing of latency, of network round trips between
machines, or of contention that grows with K beyond the run's.
"""

from nova_cassandra_experiment import presets

SERVICE_CORES = 8
# Process groups (``cpu.groups_of``) that would have machines of their own.
LIMITING = ('schedulers', 'placement', 'mariadb', 'cassandra', 'rabbitmq')
_SETUPS = {setup.name: setup for setup in presets.SETUPS}
ASSUMPTIONS = ('model: a core per scheduler, %d cores per shared service '
               '(placement, MariaDB, Cassandra, RabbitMQ), CPU per placement '
               'as measured at the run\'s K' % SERVICE_CORES)


def project(cpu_ms_per_placement, schedulers, service_cores=SERVICE_CORES,
            groups=LIMITING):
    """(placements/s, bottleneck group) for ``schedulers`` schedulers.

    ``groups``: the groups that limit (``LIMITING`` or fewer).
    """
    capacity = {}
    for group in groups:
        ms = cpu_ms_per_placement.get(group)
        if ms:
            cores = schedulers if group == 'schedulers' else service_cores
            capacity[group] = cores * 1000.0 / ms
    bottleneck = min(capacity, key=capacity.get)
    return capacity[bottleneck], bottleneck


def table_rows(runs, scheduler_counts=(8, 16, 32, 64)):
    """Rows of the projection: a set-up and host count per row.

    Each is fed by the run of that set-up and host count with the most
    schedulers (the contention nearest the projection's).
    """
    widest = {}
    for run in runs:
        key = (run['setup'], run['hosts'])
        if run.get('placed') and (key not in widest or run['schedulers']
                                  > widest[key]['schedulers']):
            widest[key] = run
    rows = [('set-up', 'hosts', 'from K')
            + tuple('K=%d' % k for k in scheduler_counts)]
    for (setup, hosts), run in sorted(widest.items()):
        used = _SETUPS.get(setup)
        groups = [group for group in LIMITING if group != 'cassandra'
                  or used is None or 'cassandra' in used.services]
        cells = []
        for count in scheduler_counts:
            rate, bottleneck = project(run['cpu_ms_per_placement'], count,
                                       groups=groups)
            cells.append('%.0f/s %s' % (rate, bottleneck))
        rows.append((setup, str(hosts), str(run['schedulers'])) + tuple(cells))
    return rows
