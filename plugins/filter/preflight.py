# SPDX-License-Identifier: Apache-2.0
"""Filters that turn preflight's raw module results into one fact per host and one summary table."""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.xdp_drivers import mode_by_driver


def preflight_summary(kernel: dict, cpu: dict, nic: dict, xdp_features: dict | None = None) -> dict:
    """One compact fact per host: kernel, io_uring, XDP, CPUs and each NIC's queue counts, the XDP mode
    its driver offers (native, generic) and AF_XDP mode (zero-copy, copy). Where the kernel cannot say
    (see xdp_features_reason) the XDP mode comes from the driver's name when that is known
    (xdp_mode_source "driver"), else it is null."""
    cpus = cpu.get("cpus", {})
    features = (xdp_features or {}).get("interfaces") or {}
    nics = []
    for name, info in sorted((nic.get("interfaces") or {}).items()):
        queues = info.get("queues") or {}
        driver = info.get("driver") or "unknown"
        declared = features.get(name) or {}  # the kernel's word, where it could give it
        mode, source = declared.get("xdp_mode"), "kernel"
        if mode is None and (xdp_features or {}).get("reason"):
            mode, source = mode_by_driver(driver, kernel.get("release")), "driver"
        nics.append(
            {
                "name": name,
                "driver": driver,
                "rx_queues": len(queues.get("rx") or []),
                "tx_queues": len(queues.get("tx") or []),
                "irqs": len(info.get("irqs") or []),
                "numa_node": info.get("numa_node"),
                "xdp_mode": mode,
                "xdp_mode_source": source if mode else None,
                "afxdp_mode": declared.get("afxdp_mode"),
                "zerocopy": declared.get("zerocopy"),
            }
        )
    return {
        "kernel": kernel.get("release"),
        "meets_min_kernel": kernel.get("meets_min_kernel"),
        "io_uring": kernel.get("io_uring", {}),
        "xdp": kernel.get("xdp", {}),
        "systemd_pid1": kernel.get("systemd_pid1"),
        "cpus_online": cpus.get("online"),
        "cpu_count": cpus.get("count_online"),
        "nics": nics,
        "xdp_features_reason": (xdp_features or {}).get("reason"),
    }


def preflight_table(hostvars, hosts) -> list[str]:
    """A one-screen table: a line per host with its verdict and, for failures, the reason."""
    header = (
        f"{'host':<14} {'result':<11} {'kernel':<20} {'cpus':>4}  {'io_uring':<8} {'xdp':<4} "
        "nics (rx/tx queues, the XDP mode the driver offers)"
    )
    lines = [header, "-" * len(header)]
    for host in hosts:
        hv = hostvars[host]
        summary = hv.get("preflight_result")
        if summary is None:
            lines.append(f"{host:<14} {'UNREACHABLE':<11} (no facts: see the error above for this host)")
            continue
        result = "ok" if hv.get("preflight_ok") else "FAILED"
        nics = ", ".join(
            f"{n['name']}[{n['driver']}] {n['rx_queues']}/{n['tx_queues']} {_xdp_mode(n)}"
            for n in summary["nics"]
        )
        lines.append(
            f"{host:<14} {result:<11} {summary['kernel'] or '?':<20} {summary['cpu_count'] or '?':>4}  "
            f"{_yes(summary['io_uring']):<8} {_yes(summary['xdp']):<4} {nics or 'none'}"
        )
        if result == "FAILED":
            for what in ("io_uring", "xdp"):
                if not summary[what].get("usable"):
                    lines.append(f"{'':<14} {what}: {summary[what].get('reason')}")
            if not summary["meets_min_kernel"]:
                lines.append(f"{'':<14} kernel older than preflight_min_kernel")
    return lines


def _xdp_mode(nic: dict) -> str:
    if not nic.get("xdp_mode"):
        return "xdp ?"
    # Marked where it is known from the driver's name, not declared by the kernel.
    return f"{nic['xdp_mode']} (by driver)" if nic.get("xdp_mode_source") == "driver" else nic["xdp_mode"]


def _yes(probe: dict) -> str:
    return {True: "yes", False: "NO"}.get(probe.get("usable"), "?")


class FilterModule:
    def filters(self):
        return {"preflight_summary": preflight_summary, "preflight_table": preflight_table}
