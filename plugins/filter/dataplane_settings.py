# SPDX-License-Identifier: Apache-2.0
"""fastpath.host.dataplane_settings_check: the dataplane role's input check (plugin_utils/
dataplane_settings.py) against the ranges of native/server/config_keys.def, the file config.c uses;
fastpath.host.dataplane_xdp_interface: the interface its XDP program goes on;
fastpath.host.dataplane_afxdp_check: xdp_mode afxdp against that interface's queues."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.plugin_utils.dataplane_settings import (
    check_afxdp,
    check_settings,
    choose_xdp_interface,
)
from ansible_collections.fastpath.host.plugins.plugin_utils.server_keys import KeysDefError, load_keys_def


def dataplane_settings_check(settings, online, plan_workers=""):
    """settings: the dataplane_* variables (name -> value); online: /sys/devices/system/cpu/online's
    text; plan_workers: cpu_partition_plan.workers or "". Returns {workers, workers_source, nworkers,
    problems}; see check_settings."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError("dataplane_settings_check: expected a dict of variables, got "
                                 f"{type(settings).__name__}")
    try:
        keys = load_keys_def()
    except (OSError, KeysDefError) as e:
        raise AnsibleFilterError(f"dataplane_settings_check: cannot read the server's key table: {e}") \
            from None
    return check_settings(dict(settings), str(online or ""), str(plan_workers or ""), keys)


def dataplane_xdp_interface(wanted, mode, routes_json="", links_json=""):
    """dataplane_xdp_interface | dataplane_xdp_interface(dataplane_xdp_mode, `ip -json route show
    default`, `ip -json link show`): see choose_xdp_interface."""
    return choose_xdp_interface(str(wanted or ""), str(mode or ""), str(routes_json or ""),
                                str(links_json or ""))


def dataplane_afxdp_check(settled, interface, rx_queues, buffer_size):
    """dataplane_settings_check's answer | dataplane_afxdp_check(the XDP interface, its rx queue count,
    dataplane_buffer_size): the problems, [] when all is well; see check_afxdp."""
    if not isinstance(settled, dict):
        raise AnsibleFilterError("dataplane_afxdp_check: expected dataplane_settings_check's answer")
    try:
        queues = int(rx_queues)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"dataplane_afxdp_check: rx queues {rx_queues!r} is not a count") from None
    return check_afxdp(settled, str(interface or ""), queues, buffer_size)


class FilterModule:
    """fastpath.host.dataplane_settings_check, dataplane_xdp_interface, dataplane_afxdp_check."""

    def filters(self):
        return {"dataplane_settings_check": dataplane_settings_check,
                "dataplane_xdp_interface": dataplane_xdp_interface,
                "dataplane_afxdp_check": dataplane_afxdp_check}
