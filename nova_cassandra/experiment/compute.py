"""``nova-compute`` whose virt driver is the experiment's fleet driver.

  python -m nova_cassandra.experiment.compute --config-file nova.conf ...

Stock ``nova.cmd.compute.main`` once ``nova.virt.<ALIAS>`` resolves to
``fake_driver`` (nova imports drivers from ``nova.virt`` only).
"""

import sys


def main():
    # nova.cmd.compute picks nova's concurrency mode as it is imported: it
    # goes before anything else of nova's.
    from nova.cmd import compute

    from nova_cassandra.experiment import fake_driver

    sys.modules['nova.virt.' + fake_driver.ALIAS] = fake_driver
    compute.main()


if __name__ == '__main__':
    main()
