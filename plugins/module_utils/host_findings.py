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
    pids = pids_named(fs, "irqbalance")
    policies = {pid: policy_script(fs.read(f"proc/{pid}/cmdline", quiet=True) or "") for pid in pids}
    return build_findings(interfaces, cpus, read_sysctl_ints(fs, FINDING_SYSCTLS), pids,
                          irqbalance_policies=policies, **rules)


def policy_script(cmdline: str) -> str | None:
    """The --policyscript (or -l) of an irqbalance command line (/proc/PID/cmdline, NUL-separated)."""
    args = [a for a in cmdline.split("\0") if a]
    for i, arg in enumerate(args):
        if arg.startswith("--policyscript="):
            return arg.split("=", 1)[1]
        if arg in ("--policyscript", "-l") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("-l") and len(arg) > 2:
            return arg[2:]
    return None
