"""Fake /proc and /sys trees in the layout the kernel exposes, for drivers this machine lacks.

Layout as net/core/net-sysfs.c and kernel/irq/proc.c create it: queues/rx-N/{rps_cpus,
rps_flow_cnt}, queues/tx-N/{xps_cpus,xps_rxqs}, the device's napi_defer_hard_irqs and
gro_flush_timeout, /proc/irq/N/{smp_affinity,smp_affinity_list,effective_affinity_list} and
/proc/sys/net/... Masks are printed nr_cpu_ids bits wide, as the kernel prints them.
"""

from __future__ import annotations

import json
from contextlib import redirect_stdout, suppress
from io import StringIO
from pathlib import Path

from ansible.module_utils.testing import patch_module_args

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import format_mask

SYSCTLS = {
    "net/core/rmem_max": "212992",
    "net/core/wmem_max": "212992",
    "net/core/rmem_default": "212992",
    "net/core/wmem_default": "212992",
    "net/core/netdev_max_backlog": "1000",
    "net/core/busy_poll": "0",
    "net/ipv4/udp_mem": "188319\t251093\t376638",
}


def build(
    root: Path,
    *,
    ifname: str = "ens4",
    queues: int = 4,
    irqs=range(41, 49),
    nr_cpus: int = 32,
    sysctls: dict | None = None,
) -> Path:
    zero = format_mask(set(), nr_cpus)
    dev = root / "sys/class/net" / ifname
    for q in range(queues):
        _put(dev / f"queues/rx-{q}/rps_cpus", zero)
        _put(dev / f"queues/rx-{q}/rps_flow_cnt", "0")
        _put(dev / f"queues/tx-{q}/xps_cpus", zero)
        _put(dev / f"queues/tx-{q}/xps_rxqs", "0")
    _put(dev / "napi_defer_hard_irqs", "0")
    _put(dev / "gro_flush_timeout", "0")
    every = format_mask(range(nr_cpus), nr_cpus)
    for irq in irqs:
        _put(root / f"proc/irq/{irq}/smp_affinity", every)
        _put(root / f"proc/irq/{irq}/smp_affinity_list", f"0-{nr_cpus - 1}")
        _put(root / f"proc/irq/{irq}/effective_affinity_list", "0")
    for key, value in (SYSCTLS if sysctls is None else sysctls).items():
        _put(root / "proc/sys" / key, value)
    return root


def files(root: Path) -> dict[str, str]:
    """Every file under proc/, sys/ and etc/ with its content: the state a restore must bring back."""
    return {
        str(p.relative_to(root)): p.read_text()
        for top in ("proc", "sys", "etc")
        for p in sorted((root / top).rglob("*"))
        if p.is_file()
    }


def run_module(main, args: dict, *, check: bool = False) -> dict:
    """Run a module's main() in-process as Ansible would, returning its JSON result."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=True)
    out = StringIO()
    with patch_module_args(args), redirect_stdout(out), suppress(SystemExit):
        main()
    return json.loads(out.getvalue())


def _put(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
