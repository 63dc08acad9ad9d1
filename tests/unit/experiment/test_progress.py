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

import io

import testtools

from nova_cassandra_experiment import progress


class _Terminal(io.StringIO):

    def isatty(self):
        return True


class TestBar(testtools.TestCase):

    def test_a_log_gets_one_line_per_tenth(self):
        out = io.StringIO()
        bar = progress.Bar(25, out)
        for _ in range(25):
            bar.step()
        lines = out.getvalue().splitlines()
        self.assertEqual(10, len(lines))
        self.assertIn('3/25 requests', lines[0])
        self.assertIn('[' + '#' * progress.WIDTH + '] 25/25 requests',
                      lines[-1])
        self.assertNotIn('\r', out.getvalue())

    def test_a_terminal_gets_the_bar_redrawn_in_place(self):
        out = _Terminal()
        bar = progress.Bar(4, out)
        for _ in range(4):
            bar.step()
        drawn = out.getvalue()
        self.assertEqual(4, drawn.count('\r'))
        self.assertRegex(drawn, r'\[#{%d}\] 4/4 requests, [0-9.]+/s\n$'
                         % progress.WIDTH)
        self.assertIn('] 2/4 requests', drawn)
        self.assertEqual(1, drawn.count('\n'))
