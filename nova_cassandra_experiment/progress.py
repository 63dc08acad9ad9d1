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

"""A progress bar for the requests of a long run."""

import sys
import threading
import time

WIDTH = 30


class Bar:
    """Counts the finished requests of a run and shows how far it is.

    On a terminal the bar is redrawn in place.  Written to a file or a
    pipe, it prints a line at every tenth of the run instead, so a log
    stays readable.
    """

    def __init__(self, total, stream=None):
        self.total = total
        self.stream = stream or sys.stdout
        self.on_terminal = self.stream.isatty()
        self.done = 0
        self._tenths_shown = 0
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def step(self):
        """Count one more finished request; draw the bar if it moved."""
        with self._lock:
            self.done += 1
            if self.on_terminal:
                self._draw('\r', '\n' if self.done == self.total else '')
            elif 10 * self.done // self.total > self._tenths_shown:
                self._tenths_shown = 10 * self.done // self.total
                self._draw('', '\n')

    def _draw(self, head, tail):
        filled = WIDTH * self.done // self.total
        rate = self.done / max(time.monotonic() - self._started, 1e-6)
        self.stream.write('%s  [%s%s] %d/%d requests, %.1f/s%s' % (
            head, '#' * filled, '.' * (WIDTH - filled), self.done,
            self.total, rate, tail))
        self.stream.flush()
