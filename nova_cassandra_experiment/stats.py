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

"""Latency samples and their summary."""

import statistics
import time


class Latencies:
    """Wall-clock durations of one kind of operation, in seconds."""

    def __init__(self, samples=()):
        self.samples = list(samples)

    def time(self, func, *args, **kwargs):
        """Call ``func``, record how long it took, return its result."""
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            self.samples.append(time.perf_counter() - start)

    def summary(self):
        """Count, rate and p50/p95/p99 in milliseconds."""
        if not self.samples:
            return {'count': 0}
        ordered = sorted(self.samples)

        def pct(p):
            return 1000 * ordered[min(len(ordered) - 1,
                                      int(p / 100 * len(ordered)))]

        return {'count': len(ordered),
                'mean_ms': 1000 * statistics.fmean(ordered),
                'p50_ms': pct(50), 'p95_ms': pct(95), 'p99_ms': pct(99)}
