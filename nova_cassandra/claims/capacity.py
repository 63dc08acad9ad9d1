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

"""The capacity rule every claims backend and the checker apply.

For each resource class of a node, as placement counts it::

    used + live claims <= (capacity - reserved) * allocation_ratio
"""


def limit(record, resource_class):
    """How much of ``resource_class`` the node can hold, or None if absent."""
    capacity = record.capacity.get(resource_class)
    if capacity is None:
        return None
    return int((capacity - record.reserved.get(resource_class, 0))
               * record.allocation_ratio.get(resource_class, 1.0))


def fits(usage, resources):
    """True if ``resources`` ({class: amount}) fit on ``usage``'s node."""
    for resource_class, amount in resources.items():
        if amount <= 0:
            continue
        room = limit(usage.record, resource_class)
        if room is None:
            return False
        taken = (usage.record.used.get(resource_class, 0)
                 + usage.claimed(resource_class))
        if taken + amount > room:
            return False
    return True


def largest_limits(usages):
    """``{resource class: the largest limit}`` among ``usages``' nodes."""
    largest = {}
    for usage in usages:
        for resource_class in usage.record.capacity:
            room = limit(usage.record, resource_class)
            if room is not None and room > largest.get(resource_class, -1):
                largest[resource_class] = room
    return largest


def beyond(largest, resources):
    """True if ``resources`` fit no node, ``largest`` its limits' maxima.

    Usage only takes room away: a class asked beyond every node's limit
    (``largest_limits``), or of no node, fits nowhere.
    """
    return any(amount > largest.get(resource_class, 0)
               for resource_class, amount in resources.items()
               if amount > 0)


def violations(usage):
    """(resource class, taken, limit) for each class over its limit."""
    found = []
    for resource_class in usage.record.capacity:
        room = limit(usage.record, resource_class)
        taken = (usage.record.used.get(resource_class, 0)
                 + usage.claimed(resource_class))
        if taken > room:
            found.append((resource_class, taken, room))
    return found
