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

import json
import os
import threading
import types
from unittest import mock

import fixtures
from nova.compute import resource_tracker
from nova import objects
from stevedore import extension
from stevedore import named
import testtools

from nova_cassandra_experiment import fake_driver
from nova_cassandra_experiment import synthetic_fleet

objects.register_all()

NODE = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9'


def _override(test, **options):
    for name, value in options.items():
        fake_driver.CONF.set_override(name, value, 'experiment_fleet')
        test.addCleanup(fake_driver.CONF.clear_override, name,
                        'experiment_fleet')


class TestEvery(testtools.TestCase):

    def _every(self, interval, items, fail_on=None, calls=5):
        stop, seen = threading.Event(), []

        def action(item):
            seen.append(item)
            if len(seen) == calls:
                stop.set()
            if item == fail_on:
                raise ValueError(item)
        synthetic_fleet.every(interval, items, action, stop)
        return seen

    def test_each_item_in_turn_until_stopped(self):
        self.assertEqual(['a', 'b', 'a', 'b', 'a'],
                         self._every(0.01, ['a', 'b']))

    def test_a_failure_is_logged_and_the_next_goes_on(self):
        logged = self.useFixture(fixtures.FakeLogger())
        self.assertEqual(['a', 'b', 'a'],
                         self._every(0.01, ['a', 'b'], fail_on='a', calls=3))
        self.assertIn('action of a failed', logged.output)

    def test_no_items_or_no_interval_is_nothing_to_do(self):
        self.assertEqual([], self._every(0.01, []))
        self.assertEqual([], self._every(0, ['a']))


class TestComputeHost(testtools.TestCase):

    def setUp(self):
        super().setUp()
        run_dir = self.useFixture(fixtures.TempDir()).path
        fill_file = os.path.join(run_dir, 'fill.json')
        with open(fill_file, 'w') as f:
            json.dump({NODE: {'VCPU': 3, 'MEMORY_MB': 1024, 'DISK_GB': 10}},
                      f)
        _override(self, fill_file=fill_file)
        self.save = self.useFixture(fixtures.MockPatchObject(
            objects.ComputeNode, 'save')).mock
        tracker = resource_tracker.ResourceTracker('h1', mock.Mock(),
                                                   mock.Mock())
        self.hook = mock.Mock()
        tracker.hooks = named.NamedExtensionManager.make_test_instance(
            [extension.Extension('fake', None, None, self.hook)])
        self.node = tracker.compute_nodes['n1'] = objects.ComputeNode(
            uuid=NODE, host='h1', hypervisor_hostname='n1', vcpus=16,
            memory_mb=65536, local_gb=1000, stats={})
        self.servicegroup_api, self.scheduler = mock.Mock(), mock.Mock()
        self.service = objects.Service(host='h1', binary='nova-compute')
        self.host = synthetic_fleet.ComputeHost(
            mock.sentinel.context, self.service, tracker, ['n1'], None,
            self.servicegroup_api, self.scheduler)

    def test_an_audit_counts_the_fill_saves_and_tells_the_hooks(self):
        self.host.audit('n1')
        conf = fake_driver.CONF
        self.assertEqual(
            (conf.reserved_host_cpus + 3,
             conf.reserved_host_memory_mb + 1024, 10),
            (self.node.vcpus_used, self.node.memory_mb_used,
             self.node.local_gb_used))
        self.assertEqual(65536 - self.node.memory_mb_used,
                         self.node.free_ram_mb)
        self.save.assert_called_once_with()
        self.hook.changed.assert_called_once_with(
            mock.sentinel.context, self.node, 'update_available_resource',
            instance=None, migration=None, instance_uuids=frozenset(),
            migrations=())

    def test_churn_changes_the_stats_not_the_usage(self):
        self.host.audit('n1')
        used = self.node.vcpus_used
        self.assertNotIn(synthetic_fleet.CHURN_STAT, self.node.stats)
        self.host.audit('n1', churn=True)
        self.assertEqual('1', self.node.stats[synthetic_fleet.CHURN_STAT])
        self.host.audit('n1', churn=True)
        self.assertEqual('2', self.node.stats[synthetic_fleet.CHURN_STAT])
        self.assertEqual(used, self.node.vcpus_used)
        self.assertEqual(3, self.hook.changed.call_count)

    def test_a_report_is_nova_service_group_report(self):
        self.host.report()
        (reported,), _ = (
            self.servicegroup_api._driver._report_state.call_args)
        self.assertIs(self.service, reported.service_ref)

    def test_a_sync_casts_no_instances(self):
        self.host.sync()
        self.scheduler.sync_instance_info.assert_called_once_with(
            mock.sentinel.context, 'h1', [])

    def test_republish_all_asks_the_hooks_that_can(self):
        self.host.tracker.hooks = [types.SimpleNamespace(obj=self.hook),
                                   types.SimpleNamespace(obj=object())]
        self.host.republish_all()
        self.hook.republish_all.assert_called_once_with()


class TestFollowFiles(testtools.TestCase):

    def setUp(self):
        super().setUp()
        run_dir = self.useFixture(fixtures.TempDir()).path
        self.fill_file = os.path.join(run_dir, 'fill.json')
        self.republish_file = os.path.join(run_dir, 'republish')
        _override(self, fill_file=self.fill_file,
                  republish_file=self.republish_file)
        self.hosts = [mock.Mock(nodenames=['n1', 'n2']),
                      mock.Mock(nodenames=['n3'])]
        self.fleet = synthetic_fleet.SyntheticFleet(None, self.hosts)

    def _audited(self):
        audited = [(i, call.args) for i, host in enumerate(self.hosts)
                   for call in host.audit.call_args_list]
        for host in self.hosts:
            host.audit.reset_mock()
        return audited

    def _write(self, path, text):
        with open(path, 'w') as f:
            f.write(text)

    def test_every_node_is_audited_when_a_file_changes(self):
        everyone = [(0, ('n1',)), (0, ('n2',)), (1, ('n3',))]
        self.assertTrue(self.fleet.follow_files())
        self.assertEqual(everyone, self._audited())
        self.assertFalse(self.fleet.follow_files())
        self.assertEqual([], self._audited())
        self._write(self.fill_file, '{}')
        self.assertTrue(self.fleet.follow_files())
        self.assertEqual(everyone, self._audited())
        for host in self.hosts:
            host.republish_all.assert_not_called()

    def test_a_republish_request_republishes_then_audits(self):
        self.fleet.follow_files()
        self._audited()
        self._write(self.republish_file, 'one')
        self.assertTrue(self.fleet.follow_files())
        for host in self.hosts:
            host.republish_all.assert_called_once_with()
        self.assertEqual(3, len(self._audited()))


class TestStartHosts(testtools.TestCase):

    def test_nodes_are_grouped_by_compute_host_and_started(self):
        synthetic_fleet.cfg.CONF.register_opts(
            synthetic_fleet.synthetic_opts, group=fake_driver.fleet_group)
        _override(self, first_node=0, node_count=5, nodes_per_compute=2)
        for name in ('servicegroup', 'query'):
            self.useFixture(fixtures.MockPatchObject(synthetic_fleet, name))
        create = self.useFixture(fixtures.MockPatchObject(
            synthetic_fleet.ComputeHost, 'create',
            side_effect=lambda context, host, nodenames, *rest: mock.Mock(
                host=host, nodenames=nodenames))).mock
        started = []
        self.useFixture(fixtures.MockPatchObject(
            synthetic_fleet.ComputeHost, 'start', started.append))
        hosts = synthetic_fleet.start_hosts(synthetic_fleet.cfg.CONF)
        node = fake_driver.NODE_NAME
        self.assertEqual(
            [('nc-exp-compute-0', [node % 0, node % 1]),
             ('nc-exp-compute-1', [node % 2, node % 3]),
             ('nc-exp-compute-2', [node % 4])],
            [(host.host, host.nodenames) for host in hosts])
        self.assertEqual(3, create.call_count)
        self.assertEqual(hosts, started)
