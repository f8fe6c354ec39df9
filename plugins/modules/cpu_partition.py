#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Plan the CPU partition of a host from its cpu_info and nic_info facts; changes nothing."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cpu_partition
short_description: Plan housekeeping, IRQ/XDP and worker CPUs, queue count, IRQ affinity, RPS and XPS
description:
  - A pure computation over the facts of M(fastpath.host.cpu_info) and M(fastpath.host.nic_info) - it reads
    and changes nothing on the host, so it runs the same in check mode.
  - Prefers the NIC's NUMA node, keeps SMT siblings in one set where it can, gives each IRQ CPU one
    queue, lets every CPU transmit on exactly one queue (XPS), and says why for each choice in
    C(plan.reasons).
  - Layout C(split) keeps IRQ/XDP CPUs apart from worker CPUs; C(shared) runs each worker on its
    queue's IRQ CPU.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  cpus:
    description: The C(cpus) result of M(fastpath.host.cpu_info).
    type: dict
    required: true
  interface:
    description: One entry of the C(interfaces) result of M(fastpath.host.nic_info); omit to plan CPUs only.
    type: dict
  layout:
    description: C(split) or C(shared).
    type: str
    choices: [split, shared]
    default: split
  housekeeping:
    description: C(auto) or the cpulist kept for the OS.
    type: str
    default: auto
  irq:
    description: C(auto) or the cpulist that takes the NIC's IRQs and XDP.
    type: str
    default: auto
  workers:
    description: C(auto) or the cpulist for the dataplane's worker threads.
    type: str
    default: auto
  housekeeping_count:
    description: How many CPUs C(auto) keeps for the OS (rounded up to whole cores with C(smt=together)).
    type: int
    default: 1
  smt:
    description: C(together) keeps SMT siblings in one set; C(ignore) counts threads as CPUs.
    type: str
    choices: [together, ignore]
    default: together
  rps:
    description: Plan RPS/RFS to spread protocol work (to the workers with C(split)).
    type: bool
    default: false
  max_queues:
    description: Cap on the queue count; 0 means the NIC's maximum.
    type: int
    default: 0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Read the CPUs.
  fastpath.host.cpu_info:
  register: cpu

- name: Read eth0.
  fastpath.host.nic_info:
    interfaces: [eth0]
  register: nic

- name: Plan the partition for eth0.
  fastpath.host.cpu_partition:
    cpus: "{{ cpu.cpus }}"
    interface: "{{ nic.interfaces.eth0 }}"
    layout: split
  register: partition
"""

RETURN = r"""
plan:
  description: The partition, as cpulists, with per-queue maps keyed by queue number and the reasons.
  returned: always
  type: dict
  sample:
    layout: split
    housekeeping: "0,16"
    irq: "1-7,17-23"
    workers: "8-15,24-31"
    queues: 14
    queue_cpus: ["1", "2", "3"]
    channels: {rx: 14, tx: 14}
    irq_affinity: {"41": "1"}
    irq_skipped: [{irq: "55", reason: "managed IRQ: the kernel sets its affinity and refuses writes"}]
    xps_cpus: {"0": "0-1,28"}
    rps_cpus: {"0": ""}
    rps_flow_cnt: {"0": 0}
    rps_sock_flow_entries: 0
    reasons: {irq: "14 CPU(s): about half of the 30 candidates, whole cores so no SMT siblings are split"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fastpath.host.plugins.module_utils.partition import (
    LAYOUTS,
    SMT_POLICIES,
    PlanError,
    plan_partition,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "cpus": {"type": "dict", "required": True},
            "interface": {"type": "dict"},
            "layout": {"type": "str", "choices": list(LAYOUTS), "default": "split"},
            "housekeeping": {"type": "str", "default": "auto"},
            "irq": {"type": "str", "default": "auto"},
            "workers": {"type": "str", "default": "auto"},
            "housekeeping_count": {"type": "int", "default": 1},
            "smt": {"type": "str", "choices": list(SMT_POLICIES), "default": "together"},
            "rps": {"type": "bool", "default": False},
            "max_queues": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    p = dict(module.params)
    cpus, nic = p.pop("cpus"), p.pop("interface")
    try:
        plan = plan_partition(cpus, nic, **p)
    except PlanError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=False, plan=plan)


if __name__ == "__main__":
    main()
