import io
import socket
from unittest import mock

import fixtures
import testtools

from nova_cassandra.cmd import manage


def _closed_port():
    """A local TCP port nothing listens on."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class TestManageErrors(testtools.TestCase):
    """Errors that need no server: each one line on stderr, non-zero exit."""

    def setUp(self):
        super().setUp()
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))
        # Cleanups run last-in first-out: clear the parsed arguments, then
        # drop the sub-command option main() registered.
        self.addCleanup(manage.CONF.unregister_opt, manage.category_opt)
        self.addCleanup(manage.CONF.clear)

    def _run(self, options, *command):
        config = self.useFixture(fixtures.TempDir()).join('nova.conf')
        with open(config, 'w') as f:
            f.write('[cassandra]\n%s\n' % options)
        return manage.main(['--config-file', config] + list(command))

    def _error_line(self):
        lines = self.stderr.getvalue().splitlines()
        self.assertEqual(1, len(lines), lines)
        return lines[0]

    def test_bad_consistency_level(self):
        self.assertEqual(2, self._run('write_consistency = MOST', 'status'))
        self.assertIn("found 'MOST'", self._error_line())

    def test_bad_keyspace_name(self):
        self.assertEqual(2, self._run('keyspace = x"; DROP', 'db', 'sync'))
        self.assertIn('keyspace', self._error_line())

    def test_closed_port(self):
        port = _closed_port()
        with mock.patch('sys.stdout', io.StringIO()):
            rc = self._run('port = %d\nconnect_timeout = 1' % port, 'status')
        self.assertEqual(1, rc)
        line = self._error_line()
        self.assertIn('not reachable', line)
        self.assertIn(str(port), line)
