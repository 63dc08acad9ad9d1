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

"""An independent check of a run, from placement's own records.

After a run, re-reads every fleet provider's inventories and allocations
and checks, without trusting any scheduler: that no provider holds more
than ``(total - reserved) * allocation_ratio`` of any resource class (a
capacity violation, i.e. a double booking); that every placement the
scheduler reported holds an allocation on the node it named; and whether
each NoValidHost was true (no node could hold the request) or false (a
node still had room for it after the run).  Allocations only grow during
a run, so a node with room at the end had room when the request failed:
a false NoValidHost found this way is certain.
"""

import collections

from nova_cassandra_experiment import placement as placement_mod

Violation = collections.namedtuple('Violation',
                                   'rp_uuid resource_class used capacity')


def nonzero(amounts):
    """``{resource class: amount}`` without the classes at 0."""
    return {rc: amount for rc, amount in amounts.items() if amount}


def capacity(inventory):
    """What placement lets allocations add up to for one inventory."""
    return int((inventory['total'] - inventory['reserved']) *
               inventory['allocation_ratio'])


def capacity_changes(before, after):
    """Capacities that differ between two reads of ``{rp: inventories}``.

    A provider whose inventory shrank under its allocations during a run
    is over capacity without any double booking: this tells the two apart.
    """
    changed = []
    for rp_uuid, rp_inventories in sorted(after.items()):
        for rc, inventory in sorted(rp_inventories.items()):
            old = before.get(rp_uuid, {}).get(rc)
            if old is None or capacity(old) != capacity(inventory):
                changed.append({'rp_uuid': rp_uuid, 'resource_class': rc,
                                'before': old and capacity(old),
                                'after': capacity(inventory)})
    return changed


def usage(allocations):
    """``{resource class: amount}`` summed over a provider's consumers."""
    used = collections.Counter()
    for resources in allocations.values():
        used.update(resources)
    return used


def violations(inventories, allocations):
    """Capacity violations over ``{rp: inventories}``, ``{rp: allocations}``.

    ``allocations`` maps each provider to ``{consumer: {rc: amount}}``.
    """
    found = []
    for rp_uuid, rp_inventories in sorted(inventories.items()):
        used = usage(allocations.get(rp_uuid, {}))
        for rc, amount in sorted(used.items()):
            limit = capacity(rp_inventories[rc]) if rc in rp_inventories \
                else 0
            if amount > limit:
                found.append(Violation(rp_uuid, rc, amount, limit))
    return found


def fits(inventories, allocations, resources):
    """Whether one provider can take ``resources`` on top of its usage."""
    used = usage(allocations)
    for rc, amount in resources.items():
        inventory = inventories.get(rc)
        if inventory is None or amount > inventory['max_unit']:
            return False
        if used[rc] + amount > capacity(inventory):
            return False
    return True


def check(inventories, allocations, placed, refused):
    """The run's verdict.

    :param placed: ``{consumer: rp_uuid}`` the scheduler reported placed
    :param refused: ``{consumer: {rc: amount}}`` that got NoValidHost
    """
    holders = collections.defaultdict(set)
    for rp_uuid, rp_allocations in allocations.items():
        for consumer in rp_allocations:
            holders[consumer].add(rp_uuid)
    false_nvh = sum(
        any(fits(inventories[rp], allocations.get(rp, {}), resources)
            for rp in inventories)
        for resources in refused.values())
    return {
        'capacity_violations': [v._asdict() for v in
                                violations(inventories, allocations)],
        'missing_allocations': sum(holders.get(consumer) != {rp_uuid}
                                   for consumer, rp_uuid in placed.items()),
        'novalidhost_true': len(refused) - false_nvh,
        'novalidhost_false': false_nvh,
    }


def judge(placement, rp_uuids, placed, refused, store_allocations=None):
    """``(inventories, allocations, verdict)``: ``read``, then ``check``.

    ``allocations`` are placement's.  ``store_allocations``: for a set-up
    that writes no allocations to placement, a callable returning the
    store's ``{node: {consumer: resources}}`` to judge by instead;
    ``missing_allocations`` is then None.
    """
    inventories, allocations = read(placement, rp_uuids)
    judged = allocations if store_allocations is None else store_allocations()
    verdict = check(inventories, judged, placed, refused)
    if store_allocations is not None:
        verdict['missing_allocations'] = None
    return inventories, allocations, verdict


def read(placement, rp_uuids):
    """``(inventories, allocations)`` of the providers, from placement."""
    return (placement_mod.each(placement.inventories, rp_uuids),
            placement_mod.each(placement.allocations, rp_uuids))
