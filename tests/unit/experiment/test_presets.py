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

import dataclasses

from oslo_config import cfg
import testtools

from nova_cassandra.conf import cassandra as cassandra_conf
from nova_cassandra.store import backends
from nova_cassandra_experiment import fleet
from nova_cassandra_experiment import presets


class TestSetup(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        self.conf.register_opts([cfg.StrOpt('host_manager')],
                                group='scheduler')
        self.conf([], default_config_files=[])

    def test_unknown_options_name_what_nova_lacks(self):
        setup = presets.Setup(
            'x', 'test', scheduler_conf={'scheduler': {
                'host_manager': 'cassandra', 'claims_driver': 'cassandra'}},
            compute_conf={'compute': {'resource_tracker_hooks': 'c'}})
        self.assertEqual(['[scheduler] claims_driver',
                          '[compute] resource_tracker_hooks'],
                         setup.unknown_options(self.conf))

    def test_stock_needs_nothing(self):
        stock, = [s for s in presets.SETUPS if s.name == 'stock']
        self.assertEqual([], stock.unknown_options(self.conf))
        self.assertEqual((), stock.services)

    def test_stock_tuned_bounds_candidates_as_the_plugin(self):
        self.conf.register_opts([cfg.IntOpt('max_placement_results')],
                                group='scheduler')
        plugin = cfg.ConfigOpts()
        plugin.register_opts(cassandra_conf.scheduler_opts, group='cassandra')
        plugin([])
        tuned, = [s for s in presets.SETUPS if s.name == 'stock-tuned']
        self.assertEqual([], tuned.unknown_options(self.conf))
        self.assertEqual({'scheduler': {
            'max_placement_results': plugin.cassandra.max_candidates}},
            tuned.scheduler_conf)
        self.assertEqual({'placement': {
            'allocation_conflict_retry_count': 1,
            'randomize_allocation_candidates': True}}, tuned.placement_conf)
        self.assertEqual((), tuned.services)

    def test_stock_fixed_is_stock_on_patched_placement(self):
        stock, = [s for s in presets.SETUPS if s.name == 'stock']
        fixed, = [s for s in presets.SETUPS if s.name == 'stock-fixed']
        self.assertEqual(
            dataclasses.replace(stock, name='stock-fixed',
                                description=fixed.description,
                                placement_patched=True), fixed)

    def test_any_set_up_on_patched_placement(self):
        fixed, = [s for s in presets.SETUPS if s.name == 'stock-fixed']
        self.assertIs(fixed, presets.on_patched_placement(fixed))
        for setup in presets.SETUPS:
            if setup is not fixed:
                self.assertEqual(
                    dataclasses.replace(
                        setup, placement_patched=True,
                        description=setup.description
                        + '; placement patched'),
                    presets.on_patched_placement(setup))

    def test_stream_claims_outlive_every_run(self):
        # Nothing builds what the experiment places: a claim that expired
        # mid-run would free room that placement still holds.
        longest = max(p.run_timeout for p in presets.PRESETS.values())
        plugins = [s for s in presets.SETUPS if s.services]
        self.assertEqual(5, len(plugins))
        for setup in plugins:
            group = backends.BY_NAME[setup.services[0]].group
            self.assertGreater(setup.scheduler_conf[group]['claim_ttl'],
                               2 * longest)

    def test_every_fleet_audits_on_the_same_clock(self):
        # fleet.COMPUTE_CONF sets the audit for all; a set-up of its own
        # would make one fleet do more (or less) work than another's.
        self.assertEqual(fleet.AUDIT_INTERVAL, fleet.COMPUTE_CONF['DEFAULT'][
            'update_resources_interval'])
        for setup in presets.SETUPS:
            self.assertEqual(
                set(), {'update_resources_interval', 'periodic_fuzzy_delay'}
                & set(setup.compute_conf.get('DEFAULT', {})), setup.name)

    def test_presets_fit_their_fleet(self):
        for preset in presets.PRESETS.values():
            self.assertLess(0, preset.oversized)
            self.assertLessEqual(preset.target_fill, 1)
            self.assertEqual(sorted(preset.schedulers),
                             list(preset.schedulers))
