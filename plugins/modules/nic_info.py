#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Ansible module fastpath.host.nic_info: where a host's packets land, per NIC, with findings (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nic_info
short_description: Report NIC queues, the IRQ of each queue, RPS/XPS, ethtool state, XDP and findings
description:
  - For each interface reads sysfs under O(root) (driver, bus address, NUMA node, MTU, speed, operstate,
    C(queues/rx-N) and C(tx-N)), maps its IRQs to queues by driver (mlx5, mlx4, ice, i40e, iavf, idpf,
    ixgbe, igb, bnxt_en, ena, gve, virtio_net, mana, sfc) and through the PCI function's C(msi_irqs),
    and adds the ethtool state and the XDP attachment.
  - Returns RV(findings), what fastpath would fix on this host, with evidence.
  - Read-only. A tool that is absent or an operation the driver does not support gives null with a reason;
    missing files give partial data with reasons in RV(warnings); never a failure.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  root:
    description:
      - Directory holding the C(proc) and C(sys) trees to read. C(/) is the running host.
      - When it is not C(/), ethtool and ip output is read from files under C(sos_commands/networking/)
        named like sosreport names them (C(ethtool_-l_eth0)), so a captured tree can be replayed.
    type: path
    default: /
  interfaces:
    description:
      - Interfaces to report. Default is every interface except loopback and bridges.
      - A name that does not exist is left out with a warning.
    type: list
    elements: str
  ethtool:
    description: Query ethtool for channels, rings, coalescing, features and RSS. When false those are null.
    type: bool
    default: true
  dataplane_rmem:
    description:
      - Receive socket buffer (bytes) the dataplane will ask for.
      - A lower C(net.core.rmem_max) is a finding.
    type: int
  dataplane_wmem:
    description:
      - Send socket buffer (bytes) the dataplane will ask for.
      - A lower C(net.core.wmem_max) is a finding.
    type: int
  profile:
    description: The tuning profile chosen for the host; with C(latency), busy polling off is a finding.
    type: str
  irq_cpus:
    description:
      - CPUs meant to serve NIC interrupts, as a cpulist. Fewer rx queues than these CPUs is a finding.
      - Default is the online CPUs that are not isolated.
    type: str
  workers:
    description:
      - fastpath-server's workers as its stats give them (C(stats.workers) of
        M(fastpath.host.smoke_server_stats)), each with its C(worker), C(cpu) and C(rx_packets).
      - With O(layout=split), a worker on a CPU where one of a NIC's queue IRQs is delivered is a finding.
    type: list
    elements: dict
  layout:
    description:
      - The CPU partition's layout (C(cpu_partition_layout)). C(split) keeps IRQ CPUs and worker CPUs apart,
        C(shared) runs each worker on its queue's IRQ CPU on purpose.
    type: str
    choices: [split, shared]
    default: split
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
  - Commands run with C(LANG=C). XDP state comes from C(ip -j -d link show).
  - C(managed) is null unless the IRQ debugfs (C(/sys/kernel/debug/irq)) is readable.
seealso:
  - module: fastpath.host.irq_info
  - module: fastpath.host.cpu_info
"""

EXAMPLES = r"""
- name: Read the dataplane NIC.
  fastpath.host.nic_info:
    interfaces: [eth0]
    dataplane_rmem: 33554432
    dataplane_wmem: 33554432
    profile: latency
  register: nic

- name: Show which IRQ serves each rx queue.
  ansible.builtin.debug:
    msg: "{{ nic.interfaces.eth0.queues.rx | map(attribute='irq') }}"

- name: Fail on high-severity findings.
  ansible.builtin.assert:
    that: nic.findings | selectattr('severity', 'eq', 'high') | list | length == 0
    fail_msg: "{{ nic.findings | selectattr('severity', 'eq', 'high') | map(attribute='what') }}"
"""

RETURN = r"""
interfaces:
  description: One entry per interface, keyed by name.
  returned: always
  type: dict
  contains:
    driver:
      description: Kernel driver of the device (null for virtual devices).
      type: str
      sample: mlx5_core
    bus_info:
      description: PCI address of the function (for virtio_net, of the PCI function under virtioK).
      type: str
      sample: "0000:3b:00.0"
    numa_node:
      description: NUMA node of the PCI function (-1 when the platform gives none).
      type: int
    virtio_device:
      description: The virtioK device of a virtio_net NIC, else null.
      type: str
    msi_irqs:
      description: IRQ numbers allocated to the PCI function (msi_irqs/), null when none.
      type: list
      elements: int
    ifindex:
      description: Interface index.
      type: int
    mtu:
      description: MTU in bytes.
      type: int
    speed:
      description: Link speed in Mb/s, null when unknown or the link is down.
      type: int
    operstate:
      description: RFC 2863 operational state.
      type: str
    xdp:
      description: XDP attachment; null when it could not be read (see warnings).
      type: dict
      sample: {attached: true, prog_id: 42, mode: native, programs: [{mode: native, prog_id: 42}]}
    channels:
      description: ethtool -l current and maximum channel counts; null with C(channels_reason).
      type: dict
      sample: {rx: null, tx: null, combined: 8, other: 1, max_rx: null, max_tx: null, max_combined: 63,
               max_other: 1}
    channels_reason:
      description: Why C(channels) is null.
      type: str
    rings:
      description: ethtool -g current and C(max_*) ring sizes; null with C(rings_reason).
      type: dict
    coalesce:
      description: ethtool -c settings (C(rx_usecs), C(adaptive_rx), ...); null with C(coalesce_reason).
      type: dict
    features:
      description: ethtool -k features as name to bool; C(_fixed) lists the ones the driver cannot change.
      type: dict
    rss:
      description: RSS indirection table size, rx rings, hash function and the fields hashed for UDP/IPv4.
      type: dict
      sample: {indir_size: 128, rx_rings: 8, hash_function: toeplitz, udp4_hash: [ip_src, ip_dst]}
    queues:
      description: rx and tx queues with the IRQ that serves each; CPU sets as cpulists.
      type: dict
      sample:
        rx: [{index: 0, irq: 38, rps_cpus: "", rps_flow_cnt: 0}]
        tx: [{index: 0, irq: 39, xps_cpus: "0", xps_rxqs: "", tx_maxrate: 0}]
    irqs:
      description: The NIC's IRQs with queue, kind (rx, tx, txrx, other), affinity and per-CPU counts.
      type: list
      elements: dict
      sample:
        - {irq: 38, name: virtio2-input.0, queue: 0, kind: rx, affinity: "0-1", effective_affinity: "1",
           affinity_hint: "0-1", managed: null, counts_total: 3805, per_cpu: {"0": 0, "1": 3805}}
findings:
  description: What would cost packets or latency, most severe first.
  returned: always
  type: list
  elements: dict
  sample:
    - severity: high
      what: "eth0: 8 queue IRQs are served by 2 CPU(s)"
      evidence: "IRQs 40, 41, ... land on CPUs 0-1"
      fix: "pin each queue IRQ of eth0 to its own CPU of the IRQ CPU set (role nic_tuning)"
      interface: eth0
warnings:
  description: Why some data is missing; empty when everything was read.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.commands import CommandRunner  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.cpu_topology import read_cpus  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.host_findings import read_findings  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.module_support import open_root, report_warnings  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.nic_model import read_interfaces  # noqa: E402

ARGUMENT_SPEC = {
    "root": {"type": "path", "default": "/"},
    "interfaces": {"type": "list", "elements": "str"},
    "ethtool": {"type": "bool", "default": True},
    "dataplane_rmem": {"type": "int"},
    "dataplane_wmem": {"type": "int"},
    "profile": {"type": "str"},
    "irq_cpus": {"type": "str"},
    "workers": {"type": "list", "elements": "dict"},
    "layout": {"type": "str", "choices": ["split", "shared"], "default": "split"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    for key in ("dataplane_rmem", "dataplane_wmem"):
        if p[key] is not None and p[key] <= 0:
            module.fail_json(msg=f"{key} must be a positive number of bytes, got {p[key]}")
    if p["irq_cpus"] is not None:
        try:
            parse_cpulist(p["irq_cpus"])
        except CpuSetError as e:
            module.fail_json(msg=f"irq_cpus: {e}")
    fs = open_root(module)

    def run_live(argv):
        rc, out, err = module.run_command(argv, environ_update={"LANG": "C", "LC_ALL": "C"})
        return rc, out + err

    runner = CommandRunner(fs, run_live=run_live)
    interfaces = read_interfaces(fs, runner, p["interfaces"], p["ethtool"])
    cpus = read_cpus(fs)
    findings = read_findings(
        fs, interfaces, cpus, rmem=p["dataplane_rmem"], wmem=p["dataplane_wmem"], profile=p["profile"],
        irq_cpus=p["irq_cpus"], workers=p["workers"], layout=p["layout"],
    )
    report_warnings(module, fs)
    module.exit_json(changed=False, interfaces=interfaces, findings=findings)


if __name__ == "__main__":
    main()
