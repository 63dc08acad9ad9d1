"""``nova-compute`` whose virt driver is the experiment's fleet driver.

  python -m nova_cassandra.experiment.compute --config-file nova.conf ...

Stock ``nova.cmd.compute.main`` once ``nova.virt.<ALIAS>`` resolves to
``fake_driver`` (nova imports drivers from ``nova.virt`` only), with one
step of the resource audit left out: the fleet's instances exist only as
placement allocations, which the experiment never deletes.  Each audit
would otherwise read every node's allocations from placement and look
each consumer up through the conductor (not found, so kept): on two shared
cores that takes CPU from the schedulers of the set-ups whose computes
audit (the host rows are their heartbeat), CPU a real compute spends on a
machine of its own.
"""

import sys


def main():
    # nova.cmd.compute picks nova's concurrency mode as it is imported: it
    # goes before anything else of nova's.
    from nova.cmd import compute
    from nova.compute import resource_tracker

    from nova_cassandra.experiment import fake_driver

    resource_tracker.ResourceTracker._remove_deleted_instances_allocations = (
        lambda self, *args, **kwargs: None)

    sys.modules['nova.virt.' + fake_driver.ALIAS] = fake_driver
    compute.main()


if __name__ == '__main__':
    main()
