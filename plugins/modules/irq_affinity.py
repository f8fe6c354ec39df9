#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Pin IRQs to CPUs, recording each IRQ's prior affinity for fastpath's restore."""

from __future__ import annotations

DOCUMENTATION = r"""
module: irq_affinity
short_description: Pin IRQs to CPU lists, skipping the ones the kernel will not move
description:
  - Writes C(/proc/irq/N/smp_affinity_list) for each IRQ whose affinity differs from the one asked for.
  - Before the first change to an IRQ it records the prior affinity in C(/var/lib/fastpath/snapshot.json),
    so C(playbooks/restore.yml) can put it back; a later run never overwrites that record.
  - With C(interface), each IRQ of that NIC is recorded by the queue it serves (C(eth0:rx-3)), or by
    its name when it serves none, so a restore after a reboot or a channel change, which renumber
    IRQs, puts the affinity back on the same queue's IRQ.
  - IRQs the kernel refuses to move (managed IRQs, irqchips without affinity control answer EIO) and
    IRQs that do not exist are reported under C(not_applied) with the reason, not as failures.
  - Each changed IRQ is read back; C(effective) shows where the kernel actually delivers it.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  irqs:
    description: IRQ number to cpulist (C("2"), C("1-3,8")), as the partition plan's C(irq_affinity) gives.
    type: dict
    required: true
  interface:
    description: The NIC whose IRQs these are; their records are then keyed by queue, not by number.
    type: str
  managed:
    description: IRQs known to be managed (from C(fastpath.host.nic_info)); skipped without trying.
    type: list
    elements: int
    default: []
  root:
    description: Root of the /proc tree to act on; tests point it at a fixture tree.
    type: path
    default: /
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Pin eth0's queue IRQs to the IRQ CPUs of the plan.
  fastpath.host.irq_affinity:
    irqs: "{{ plan.irq_affinity }}"
    interface: eth0
    managed: "{{ eth0.irqs | selectattr('managed') | map(attribute='irq') | list }}"

- name: Pin IRQ 38 to CPU 1.
  fastpath.host.irq_affinity:
    irqs:
      "38": "1"
"""

RETURN = r"""
results:
  description: One entry per IRQ.
  returned: always
  type: list
  elements: dict
  sample:
    - {key: "38", status: changed, before: "0-1", after: "1", want: "1", effective: "1",
       path: /proc/irq/38/smp_affinity_list}
not_applied:
  description: The IRQs left alone (skipped), each with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{key: "40", reason: "managed IRQ: the kernel sets its affinity and refuses writes"}]
"""

import errno
import os

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.irq_identity import identities, read_nic_irqs  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import path_of
from ansible_collections.fastpath.host.plugins.module_utils.settings import (  # noqa: E402
    apply_settings,
    cpu_list,
    read_text,
)
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError  # noqa: E402

REFUSED = {
    errno.EIO: "the kernel refuses to move this IRQ (EIO): it is managed, or its irqchip cannot set affinity",
    errno.EINVAL: "the kernel refuses this CPU list for the IRQ (EINVAL): none of its CPUs can take it",
}


def build(irqs: dict, managed: list[int], root: str, interface: str | None = None):
    settings, skipped = [], []
    named = identities(interface, read_nic_irqs(HostFS(root), interface)[0]) if interface else {}
    for irq, cpus in sorted(irqs.items(), key=lambda kv: int(kv[0])):
        if int(irq) in managed:
            skipped.append(
                {"irq": str(irq), "reason": "managed IRQ: the kernel sets its affinity and refuses writes"}
            )
            continue
        path = path_of("irq_affinity", str(irq), root)
        settings.append(
            cpu_list(
                "irq_affinity",
                str(irq),
                path,
                str(cpus),
                missing=f"IRQ {irq} does not exist (freed, or re-requested under a new number)",
                refusals=REFUSED,
                record_key=named[int(irq)]["key"] if int(irq) in named else None,
                identity=named.get(int(irq)),
            )
        )
    return settings, skipped


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "irqs": {"type": "dict", "required": True},
            "interface": {"type": "str"},
            "managed": {"type": "list", "elements": "int", "default": []},
            "root": {"type": "path", "default": "/"},
        },
        supports_check_mode=True,
    )
    irqs = module.params["irqs"]
    for irq, cpus in irqs.items():
        if not str(irq).isdigit():
            module.fail_json(msg=f"irqs: {irq!r} is not an IRQ number")
        try:
            if not parse_cpulist(str(cpus)):
                module.fail_json(msg=f"irqs: IRQ {irq} has an empty CPU list; an IRQ needs at least one CPU")
        except CpuSetError as e:
            module.fail_json(msg=f"irqs: IRQ {irq}: {e}")
    p = module.params
    settings, skipped = build(irqs, p["managed"], p["root"], p["interface"])
    try:
        out = apply_settings(settings, root=module.params["root"], check_mode=module.check_mode)
    except SnapshotError as e:
        module.fail_json(msg=str(e))
    for r in out["results"]:
        if r["status"] == "skipped":
            skipped.append({"key": r["key"], "reason": r["reason"]})
        elif r["status"] == "changed" and not module.check_mode:
            eff = os.path.join(os.path.dirname(r["path"]), "effective_affinity_list")
            if os.path.exists(eff):
                r["effective"] = read_text(eff)
    failed = [r for r in out["results"] if r["status"] == "failed"]
    if failed:
        module.fail_json(msg="; ".join(r["reason"] for r in failed), **out, not_applied=skipped)
    module.exit_json(not_applied=skipped, **out)


if __name__ == "__main__":
    main()
