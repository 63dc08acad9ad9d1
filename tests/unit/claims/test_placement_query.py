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

import uuid

from nova import objects
from nova.scheduler import utils
import testtools

from nova_cassandra.claims import placement_query
from nova_cassandra.store import base
from tests.unit.claims import test_driver

objects.register_all()


def _request(spec):
    return utils.ResourceRequest.from_request_spec(spec)


class TestNeedsPlacement(testtools.TestCase):

    def _why(self, spec):
        return placement_query.needs_placement(spec, _request(spec))

    def test_nova_own_traits_and_the_node_classes_need_no_placement(self):
        self.assertIsNone(self._why(test_driver.request_spec()))

    def test_what_placement_alone_knows(self):
        cases = [
            ({'trait:HW_CPU_X86_SGX': 'forbidden'}, 'traits HW_CPU_X86_SGX'),
            ({'resources:VGPU': '1'}, 'resource classes VGPU'),
            ({'hw:cpu_policy': 'dedicated'}, 'resource classes PCPU'),
            ({'resources1:CUSTOM_FPGA': '1'}, 'request groups'),
        ]
        for extra_specs, reason in cases:
            self.assertIn(reason, self._why(
                test_driver.request_spec(extra_specs)))

    def test_image_type_trait_from_a_request_filter(self):
        spec = test_driver.request_spec()
        spec.root_required.add('COMPUTE_IMAGE_TYPE_QCOW2')
        self.assertEqual('traits COMPUTE_IMAGE_TYPE_QCOW2', self._why(spec))


class TestNodeQuery(testtools.TestCase):

    def test_in_tree_is_the_targeted_node(self):
        spec = test_driver.request_spec()
        request = _request(spec)
        target = uuid.uuid4()
        request.get_request_group(None).in_tree = str(target)
        query = placement_query.NodeQuery(None, request)
        self.assertTrue(query.matches(base.HostRecord(
            node_uuid=target, host='h', nodename='n', capacity={})))
        self.assertFalse(query.matches(base.HostRecord(
            node_uuid=uuid.uuid4(), host='h', nodename='n', capacity={})))
