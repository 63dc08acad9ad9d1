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

# Faults of the servers nova-cassandra depends on, each broken under load
# and measured (README's resilience table).  tox's functional env runs them
# one at a time, before the ring replaces the stack's Cassandra node: they
# stop, stall or restart servers other tests would share.
#
# nova's services here run on eventlet: patch before any module of a test
# imports cassandra-driver, which binds threading's locks when imported
# (unpatched, its waits would block every green thread).
from nova import monkey_patch ; monkey_patch.patch()  # noqa
