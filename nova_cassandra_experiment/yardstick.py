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

"""How fast the box is at the time of a run: a fixed workload's CPU time.

A shared machine drifts between runs (its neighbours, its clock): the same
code then costs more CPU per placement in every process group at once.
Before each run the experiment times one fixed piece of pure-Python work
of the kind the services do (records built, encoded to JSON and back,
sorted and summed) in its own CPU time, the least of a few tries.  Runs
whose figures differ by about the yardstick's ratio met a different box,
not different code.
"""

import json
import time

TRIES = 5
RECORDS = 5000


def _work():
    records = [{'uuid': '%032x' % i,
                'resources': {'VCPU': i % 8, 'MEMORY_MB': 512 * (i % 64),
                              'DISK_GB': i % 100}}
               for i in range(RECORDS)]
    decoded = json.loads(json.dumps(records))
    decoded.sort(key=lambda record: record['uuid'], reverse=True)
    return sum(record['resources']['VCPU'] for record in decoded)


def measure(tries=TRIES):
    """CPU milliseconds of the fixed workload: the least of ``tries``."""
    spent = []
    for _ in range(tries):
        start = time.process_time()
        _work()
        spent.append(time.process_time() - start)
    return round(1000 * min(spent), 2)
