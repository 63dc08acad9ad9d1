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

"""``nova-compute`` whose virt driver is the experiment's fleet driver.

  python -m nova_cassandra_experiment.compute --config-file nova.conf ...

Stock ``nova.cmd.compute.main`` once ``nova.virt.<ALIAS>`` resolves to
``fake_driver`` (nova imports drivers from ``nova.virt`` only), with the
resource audit's reads of allocations left out and the experiment's
pre-fill counted as used (``fake_driver.add_fill``).  The fleet's instances are
placement allocations only, which the experiment never deletes and the
fleet driver never reshapes; each audit of each node would otherwise read
every consumer's allocations from placement one by one and look each
consumer up through the conductor: at 100 hosts, on two shared cores,
that kept placement's two workers busy during the runs, whatever the
set-up.  When the fleet rewrites its ``republish_file``, the next audit of
each node publishes it to the plugin's store, changed or not
(``HostStateHook.republish_all``).
"""

import sys


def audit_without_allocation_reads():
    """Leave allocation reads out of the resource audit (see above)."""
    from nova.compute import resource_tracker
    from nova.scheduler.client import report

    resource_tracker.ResourceTracker._remove_deleted_instances_allocations = (
        lambda self, *args, **kwargs: None)
    report.SchedulerReportClient.get_allocations_for_provider_tree = (
        lambda self, *args, **kwargs: {})


def _audit_with_fill():
    from nova.compute import resource_tracker

    from nova_cassandra_experiment import fake_driver

    tracker = resource_tracker.ResourceTracker
    from_instances = tracker._update_usage_from_instances

    def usage_with_fill(self, context, instances, nodename):
        found = from_instances(self, context, instances, nodename)
        fake_driver.add_fill(self.compute_nodes[nodename])
        return found
    tracker._update_usage_from_instances = usage_with_fill


def _audit_republishing_on_request():
    from nova.compute import resource_tracker

    from nova_cassandra_experiment import fake_driver

    tracker = resource_tracker.ResourceTracker
    audit = tracker.update_available_resource

    def audit_republishing(self, context, nodename, startup=False):
        request = fake_driver.republish_request()
        if request != getattr(self, '_republish_request', None):
            self._republish_request = request
            for hook in self.hooks:
                republish_all = getattr(hook.obj, 'republish_all', None)
                if republish_all is not None:
                    republish_all()
        return audit(self, context, nodename, startup=startup)
    tracker.update_available_resource = audit_republishing


def main():
    # nova.cmd.compute picks nova's concurrency mode as it is imported: it
    # goes before anything else of nova's.
    from nova.cmd import compute

    from nova_cassandra_experiment import fake_driver

    audit_without_allocation_reads()
    _audit_with_fill()
    _audit_republishing_on_request()
    sys.modules['nova.virt.' + fake_driver.ALIAS] = fake_driver
    compute.main()


if __name__ == '__main__':
    main()
