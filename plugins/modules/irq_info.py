#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Ansible module fastpath.host.irq_info: every IRQ with its counts and affinity (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: irq_info
short_description: Report every IRQ of a host with per-CPU counts, chip, hwirq and affinity
description:
  - Parses C(/proc/interrupts) under O(root) and joins each numbered IRQ with
    C(/proc/irq/N/smp_affinity_list), C(effective_affinity_list), C(affinity_hint) and C(node).
  - Marks IRQs whose affinity the kernel manages (writes would fail) when the IRQ debugfs
    (C(/sys/kernel/debug/irq/irqs)) is readable; otherwise C(managed) is null and a warning says why.
  - Read-only. Garbage lines, missing files and unreadable entries give partial data with reasons in
    RV(warnings).
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  root:
    description:
      - Directory holding the C(proc) and C(sys) trees to read. C(/) is the running host.
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
  - Counts are keyed by CPU number from the header of C(/proc/interrupts), which lists only online CPUs.
"""

EXAMPLES = r"""
- name: Read every IRQ of the host.
  fastpath.host.irq_info:
  register: irq

- name: List the IRQs that still interrupt CPU 3.
  ansible.builtin.debug:
    msg: "{{ irq.irqs | dict2items | selectattr('value.per_cpu.3', 'defined') | map(attribute='key') }}"
"""

RETURN = r"""
irqs:
  description:
    - Every line of /proc/interrupts keyed by IRQ number (as a string) or by its label (NMI, LOC, ...).
    - Architecture lines carry only C(irq), C(name), C(per_cpu) and C(counts_total).
  returned: always
  type: dict
  sample:
    "38":
      irq: 38
      name: virtio2-input.0
      actions: [virtio2-input.0]
      chip: PCI-MSIX-0000:00:03.0
      hwirq: "1"
      trigger: edge
      affinity: "0-1"
      effective_affinity: "1"
      affinity_hint: "0-1"
      node: -1
      managed: null
      counts_total: 3805
      per_cpu: {"0": 0, "1": 3805}
  contains:
    irq:
      description: IRQ number, or the label of an architecture line.
      type: raw
    name:
      description: The action name(s) as printed (several actions joined with ", ").
      type: str
    actions:
      description: The action names, split.
      type: list
      elements: str
    chip:
      description: The irq_chip name (e.g. IR-PCI-MSI, PCI-MSIX-0000:00:03.0, GICv3).
      type: str
    hwirq:
      description: Hardware IRQ number within its domain, as printed; null when the IRQ has no domain.
      type: str
    trigger:
      description: Trigger or flow handler name printed after the hwirq (edge, fasteoi, Level).
      type: str
    affinity:
      description: Requested affinity (smp_affinity_list) as a cpulist.
      type: str
    effective_affinity:
      description: CPUs the IRQ is really delivered to (cpulist); null where the kernel does not show it.
      type: str
    affinity_hint:
      description: The driver's hint as a cpulist (empty when the driver gave none).
      type: str
    node:
      description: NUMA node of the IRQ's device (-1 when none).
      type: int
    managed:
      description: True when the kernel manages the affinity and refuses changes; null when unknown.
      type: bool
    counts_total:
      description: Sum of the per-CPU counts.
      type: int
    per_cpu:
      description: Interrupt count per online CPU (keys are CPU numbers).
      type: dict
warnings:
  description: Why some data is missing; empty when everything was read.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.irq_state import read_irqs  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.module_support import open_root, report_warnings  # noqa: E402


def main():
    module = AnsibleModule(argument_spec={"root": {"type": "path", "default": "/"}}, supports_check_mode=True)
    fs = open_root(module)
    irqs = {str(k): v for k, v in read_irqs(fs).items()}
    report_warnings(module, fs)
    module.exit_json(changed=False, irqs=irqs)


if __name__ == "__main__":
    main()
