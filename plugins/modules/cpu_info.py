#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Ansible module fastpath.host.cpu_info: a host's CPUs as fastpath sees them (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cpu_info
short_description: Report CPU sets, topology, NUMA nodes, softnet and NET softirq counters
description:
  - Reads C(/sys/devices/system/cpu), C(/sys/devices/system/node), C(/proc/cmdline),
    C(/proc/net/softnet_stat) and C(/proc/softirqs) under O(root) and returns them as the C(cpus) fact.
  - CPU sets are cpulists (C("0-3,8")), correct beyond 64 CPUs.
  - Read-only; missing or unreadable files give partial data with reasons in RV(warnings), never a failure.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  root:
    description:
      - Directory holding the C(proc) and C(sys) trees to read. C(/) is the running host; tests point it at
        a fixture tree.
    type: path
    default: /
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Offline CPUs have no C(topology) directory in sysfs, so their package, core and siblings are null.
  - C(isolated) joins sysfs C(isolated) with the C(isolcpus) domain CPUs of the kernel command line;
    C(nohz_full) joins sysfs C(nohz_full) with the command line.
"""

EXAMPLES = r"""
- name: Read the CPU layout of the dataplane hosts.
  fastpath.host.cpu_info:
  register: cpu

- name: Show the isolated CPUs.
  ansible.builtin.debug:
    msg: "{{ cpu.cpus.isolated or 'none' }} of {{ cpu.cpus.online }}"

- name: Read a captured tree instead of the live host.
  fastpath.host.cpu_info:
    root: /var/tmp/capture-host1
"""

RETURN = r"""
cpus:
  description: CPU sets, topology, NUMA nodes and per-CPU packet-processing counters.
  returned: always
  type: dict
  contains:
    online:
      description: Online CPUs as a cpulist.
      type: str
      sample: "0-31"
    possible:
      description: Possible CPUs as a cpulist.
      type: str
      sample: "0-31"
    present:
      description: Present CPUs as a cpulist.
      type: str
    offline:
      description: Offline CPUs as a cpulist (empty when none).
      type: str
    isolated:
      description: CPUs isolated from the scheduler (isolcpus domain), cpulist.
      type: str
      sample: ""
    isolcpus_flags:
      description: Flags of the isolcpus= parameter (nohz, domain, managed_irq); empty without isolcpus.
      type: list
      elements: str
    nohz_full:
      description: Adaptive-tick CPUs, cpulist.
      type: str
    irqaffinity:
      description: The irqaffinity= kernel parameter as a cpulist, null when not set.
      type: str
    count_online:
      description: Number of online CPUs.
      type: int
      sample: 32
    topology:
      description: One entry per possible CPU.
      type: list
      elements: dict
      sample: [{cpu: 0, online: true, package: 0, core: 0, siblings: "0,16", node: 0}]
    nodes:
      description: NUMA node number (string) to its CPUs (cpulist).
      type: dict
      sample: {"0": "0-15", "1": "16-31"}
    softnet:
      description: /proc/net/softnet_stat per online CPU.
      type: list
      elements: dict
      sample: [{cpu: 0, processed: 1234, dropped: 0, time_squeeze: 3, received_rps: 0, flow_limit_count: 0,
               backlog_len: 0}]
    softirqs:
      description: NET_RX and NET_TX softirq counts per CPU from /proc/softirqs.
      type: dict
      sample: {NET_RX: {"0": 100, "1": 90}, NET_TX: {"0": 4, "1": 0}}
warnings:
  description: Why some data is missing (unreadable files, garbage lines); empty when everything was read.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.cpu_topology import read_cpus  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.module_support import open_root, report_warnings  # noqa: E402


def main():
    module = AnsibleModule(argument_spec={"root": {"type": "path", "default": "/"}}, supports_check_mode=True)
    fs = open_root(module)
    cpus = read_cpus(fs)
    report_warnings(module, fs)
    module.exit_json(changed=False, cpus=cpus)


if __name__ == "__main__":
    main()
