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

"""The candidates' nova-compute services, as stock's query reads them."""

from unittest import mock

from nova import context
from nova import objects
from nova import test
import sqlalchemy as sa

from nova_cassandra.scheduler import compute_services


class TestOnHosts(test.TestCase):
    """``on_hosts`` against stock's ``ServiceList.get_by_binary``."""

    NUMBER_OF_CELLS = 2

    def setUp(self):
        super().setUp()
        self.context = context.get_admin_context()
        self.cells = objects.CellMappingList.get_all(self.context)
        for cell, hosts in ((self.cell_mappings['cell1'], ('a', 'b', 'c')),
                            (self.cell_mappings['cell2'], ('d',))):
            with context.target_cell(self.context, cell) as cctxt:
                for host in hosts:
                    objects.Service(cctxt, host=host, binary='nova-compute',
                                    topic='compute').create()
                # Another binary on a compute's host is not a compute.
                objects.Service(cctxt, host=hosts[0],
                                binary='nova-conductor',
                                topic='conductor').create()
                services = {service.host: service for service in
                            objects.ServiceList.get_all(cctxt)
                            if service.binary == 'nova-compute'}
                if 'b' in services:
                    services['b'].disabled = True
                    services['b'].disabled_reason = 'maintenance'
                    services['b'].save()
                    services['c'].destroy()

    def _stock(self):
        """``{host: primitive}`` of every cell's nova-compute services."""
        stock = {}
        for cell in self.cells:
            with context.target_cell(self.context, cell) as cctxt:
                stock.update(
                    (service.host, service.obj_to_primitive())
                    for service in objects.ServiceList.get_by_binary(
                        cctxt, 'nova-compute', include_disabled=True))
        return stock

    def test_the_services_of_the_hosts_named_as_stock_reads_them(self):
        stock = self._stock()
        self.assertEqual({'a', 'b', 'd'}, set(stock))
        got = compute_services.on_hosts(self.context, self.cells,
                                        {'b', 'c', 'd', 'e'})
        # Disabled included, deleted and unknown hosts left out.
        self.assertEqual({'b', 'd'}, set(got))
        self.assertTrue(got['b'].disabled)
        for host, service in got.items():
            self.assertEqual(stock[host], service.obj_to_primitive())

    def test_every_host_when_none_are_named(self):
        got = compute_services.on_hosts(self.context, self.cells)
        self.assertEqual(self._stock(), {
            host: service.obj_to_primitive()
            for host, service in got.items()})

    def test_no_host_named_reads_nothing(self):
        self.assertEqual({}, compute_services.on_hosts(
            self.context, self.cells, set()))

    def test_a_read_builds_no_statement(self):
        with mock.patch.object(sa, 'select',
                               side_effect=AssertionError('built')):
            got = compute_services.on_hosts(self.context, self.cells,
                                            {'a', 'd'})
        self.assertEqual({'a', 'd'}, set(got))
