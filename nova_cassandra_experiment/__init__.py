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

"""The scheduler experiment: set-ups, request streams, measurements, report."""

import warnings

# nova 34 runs on eventlet, which warns when it is first imported: the
# console is for the progress bars and the tables (the logs go to the
# output directory's experiment.log).
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
