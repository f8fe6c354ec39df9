# SPDX-License-Identifier: Apache-2.0
"""fastpath.host.dataplane_settings_check: the dataplane role's input check (plugin_utils/
dataplane_settings.py) against the ranges of native/server/config_keys.def, the file config.c uses."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.plugin_utils.dataplane_settings import check_settings
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


class FilterModule:
    """fastpath.host.dataplane_settings_check."""

    def filters(self):
        return {"dataplane_settings_check": dataplane_settings_check}
