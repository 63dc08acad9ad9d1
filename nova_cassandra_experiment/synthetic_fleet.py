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

"""A fleet of thousands of nodes in one process, without nova-compute.

  python -m nova_cassandra_experiment.synthetic_fleet --config-file ...

Two cores cannot run 10,000 nodes as nova-compute services auditing them
(500 take 0.7 of a core).  This process writes what such a fleet writes,
with nova's own code, and leaves out the audits that find nothing changed:

* at start, for each compute host, its ``nova-compute`` service record and
  a ``ResourceTracker`` on the fleet driver, which creates each node's
  compute node and resource provider (inventories, traits) as a compute
  starting up does;
* each service reports to nova's service group every ``report_interval``
  seconds (the set-up's ``servicegroup_report_hooks`` see it) and casts
  its instance list to the schedulers every
  ``scheduler_instance_sync_interval`` seconds (empty: the fleet's
  instances are placement allocations only, see ``fleet``);
* a node is audited, as an audit that found it changed (usage counted,
  compute node saved, the set-up's ``resource_tracker_hooks`` called),
  at start, when the fleet's pre-fill or republish file changes, and
  every ``churn_interval`` seconds: the churn, a counter in the node's
  ``stats`` that changes its state and not its capacity.

Each duty is spread evenly over its interval, so the load is steady.
"""

from concurrent import futures
import itertools
import sys
import threading
import time
import types

from nova.compute import resource_tracker
from nova import config
from nova import context as nova_context
from nova import objects
from nova.scheduler.client import query
from nova.scheduler.client import report
from nova import servicegroup
from oslo_config import cfg
from oslo_log import log as logging

from nova_cassandra_experiment import compute
from nova_cassandra_experiment import fake_driver
from nova_cassandra_experiment import fleet

LOG = logging.getLogger(__name__)

synthetic_opts = [
    cfg.IntOpt('nodes_per_compute', default=50, min=1,
               help='Nodes per compute host (service) of the fleet.'),
    cfg.IntOpt('churn_interval', default=600, min=0,
               help='Seconds between two changes of one node; 0 for none.'),
    cfg.IntOpt('start_workers', default=4, min=1,
               help='Compute hosts registered at once at start.'),
]
CHURN_STAT = 'nc_experiment_churn'


def every(interval, items, action, stop):
    """Call ``action(item)`` for each item once per ``interval`` seconds.

    The calls are spread evenly over the interval; one that fails is
    logged and the next goes on.  Returns once ``stop`` is set.
    """
    if not items or interval <= 0:
        return
    step = interval / len(items)
    due = time.monotonic()
    for item in itertools.cycle(items):
        due += step
        if stop.wait(max(0.0, due - time.monotonic())):
            return
        try:
            action(item)
        except Exception:
            LOG.exception('%s of %s failed', action.__name__, item)


class ComputeHost:
    """The nodes of one compute host, as its nova-compute would keep them."""

    def __init__(self, context, service, tracker, nodenames, driver,
                 servicegroup_api, scheduler):
        self.service = service
        self.tracker = tracker
        self.nodenames = nodenames
        self._context = context
        self._driver = driver
        self._servicegroup_api = servicegroup_api
        self._scheduler = scheduler
        self._churn = 0

    @classmethod
    def create(cls, context, host, nodenames, driver, servicegroup_api,
               scheduler):
        """A new compute host: its service record and resource tracker."""
        service = objects.Service(context, host=host, binary='nova-compute',
                                  topic='compute', report_count=0)
        service.create()
        tracker = resource_tracker.ResourceTracker(
            host, driver, report.SchedulerReportClient())
        tracker.set_service_ref(service)
        return cls(context, service, tracker, nodenames, driver,
                   servicegroup_api, scheduler)

    def start(self):
        """Create each node's compute node and provider; publish it."""
        for nodename in self.nodenames:
            self.tracker._init_compute_node(
                self._context, self._driver.get_available_resource(nodename))
            self.audit(nodename)
            self.tracker._update_to_placement(
                self._context, self.tracker.compute_nodes[nodename],
                startup=True)

    def audit(self, nodename, churn=False):
        """The node as an audit that found it changed leaves it.

        Usage is the fleet's pre-fill (``fake_driver.add_fill``) on top of
        what the host reserves; ``churn`` changes the node's stats.
        """
        node = self.tracker.compute_nodes[nodename]
        self.tracker._update_usage_from_instances(self._context, [],
                                                  nodename)
        fake_driver.add_fill(node)
        if churn:
            self._churn += 1
            node.stats = dict(node.stats, **{CHURN_STAT: str(self._churn)})
        node.save()
        self.tracker._run_hooks(self._context, node,
                                'update_available_resource')

    def republish_all(self):
        """Have the store hooks publish every node at its next audit."""
        for hook in self.tracker.hooks:
            republish_all = getattr(hook.obj, 'republish_all', None)
            if republish_all is not None:
                republish_all()

    def report(self):
        """Report to the service group, as the service's timer does."""
        self._servicegroup_api._driver._report_state(
            types.SimpleNamespace(service_ref=self.service))

    def sync(self):
        """Cast the host's (empty) instance list to the schedulers."""
        self._scheduler.sync_instance_info(self._context, self.service.host,
                                           [])


def start_hosts(conf):
    """Every compute host of the fleet ``conf`` describes, registered."""
    opts = conf.experiment_fleet
    context = nova_context.get_admin_context()
    driver = fake_driver.FleetDriver(None)
    driver.init_host(fleet.COMPUTE_HOST % 0)
    names = [fake_driver.NODE_NAME % i for i in
             range(opts.first_node, opts.first_node + opts.node_count)]
    per = opts.nodes_per_compute
    servicegroup_api = servicegroup.API()
    scheduler = query.SchedulerQueryClient()
    hosts = [ComputeHost.create(context, fleet.COMPUTE_HOST % (i // per),
                                names[i:i + per], driver, servicegroup_api,
                                scheduler)
             for i in range(0, len(names), per)]
    with futures.ThreadPoolExecutor(opts.start_workers) as pool:
        list(pool.map(ComputeHost.start, hosts))
    LOG.info('%d nodes on %d compute hosts registered', len(names),
             len(hosts))
    return hosts


class SyntheticFleet:
    """The threads that keep a fleet's compute hosts going."""

    def __init__(self, conf, hosts):
        self.conf = conf
        self.hosts = hosts
        self.nodes = [(host, nodename) for host in hosts
                      for nodename in host.nodenames]
        self._stop = threading.Event()
        # Audits change trackers' nodes: one at a time, as under nova's
        # compute resource lock.
        self._audit_lock = threading.Lock()
        self._files = None

    def run(self):
        """Report, sync, churn and follow the fleet's files until stopped."""
        duties = [
            (self.conf.report_interval, self.hosts, ComputeHost.report),
            (self.conf.scheduler_instance_sync_interval, self.hosts,
             ComputeHost.sync),
            (self.conf.experiment_fleet.churn_interval, self.nodes,
             self._churn),
        ]
        for duty in duties:
            threading.Thread(target=every, args=duty + (self._stop,),
                             daemon=True).start()
        while not self._stop.wait(1.0):
            self.follow_files()

    def _churn(self, node):
        host, nodename = node
        with self._audit_lock:
            host.audit(nodename, churn=True)

    def follow_files(self):
        """Audit every node if the pre-fill or republish file changed.

        Returns whether it did.
        """
        files = (fake_driver.fill_written(), fake_driver.republish_request())
        if files == self._files:
            return False
        if self._files is not None and files[1] != self._files[1]:
            for host in self.hosts:
                host.republish_all()
        self._files = files
        for host, nodename in self.nodes:
            with self._audit_lock:
                host.audit(nodename)
        return True

    def stop(self):
        self._stop.set()


def main():
    conf = cfg.CONF
    conf.register_opts(synthetic_opts, group=fake_driver.fleet_group)
    config.parse_args(sys.argv)
    logging.setup(conf, 'nova')
    objects.register_all()
    compute.audit_without_allocation_reads()
    SyntheticFleet(conf, start_hosts(conf)).run()


if __name__ == '__main__':
    main()
