# SPDX-License-Identifier: Apache-2.0
"""fastpath.host.dataplane_settings_check: the dataplane role's input check (plugin_utils/
dataplane_settings.py) against the ranges of native/server/config_keys.def, the file config.c uses;
fastpath.host.dataplane_xdp_interface: the interface its XDP program goes on."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.plugin_utils.dataplane_settings import (
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


class FilterModule:
    """fastpath.host.dataplane_settings_check, fastpath.host.dataplane_xdp_interface."""

    def filters(self):
        return {"dataplane_settings_check": dataplane_settings_check,
                "dataplane_xdp_interface": dataplane_xdp_interface}
