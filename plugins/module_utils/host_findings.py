# SPDX-License-Identifier: Apache-2.0
"""The findings of a live host: the rules of findings.py fed with what they need from the host.

nic_info and fastpath-textfile both judge a host this way, so the sysctls and processes the rules
read are named once. Stdlib only: runs on the targets.
"""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.findings import build_findings
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.processes import pids_named
from ansible_collections.fastpath.host.plugins.module_utils.sysctls import read_sysctl_ints

FINDING_SYSCTLS = ["net.core.rmem_max", "net.core.wmem_max", "net.core.busy_poll", "net.core.busy_read"]


def read_findings(fs: HostFS, interfaces: dict, cpus: dict, **rules) -> list[dict]:
    """build_findings on this host; `rules` are its keyword inputs (rmem, wmem, profile, irq_cpus,
    workers, layout)."""
    return build_findings(interfaces, cpus, read_sysctl_ints(fs, FINDING_SYSCTLS),
                          pids_named(fs, "irqbalance"), **rules)
