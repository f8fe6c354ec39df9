# SPDX-License-Identifier: Apache-2.0
"""Filter of the nic_tuning role's stamp declaration (meta/stamp.yml): the ethtool commands that read
back everything the role sets on a NIC, taken from the same tables the role sets it through
(ethtool_set.GROUPS, the flow hash), so a new ethtool group is watched without another list."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.module_utils import ethtool_set, flow_hash
from ansible_collections.fastpath.host.plugins.module_utils.stage_state import NETDEV


def nic_watch_commands(flow_types) -> list[list[str]]:
    """One show command per ethtool group and one per flow type, for each watched interface."""
    if isinstance(flow_types, dict):
        flow_types = list(flow_types)
    if not isinstance(flow_types, list) or not all(isinstance(t, str) for t in flow_types):
        raise AnsibleFilterError("nic_watch_commands needs the flow types (nic_tuning_rx_flow_hash)")
    commands = [ethtool_set.show_argv(NETDEV, group) for group in ethtool_set.GROUPS]
    commands += [flow_hash.show_argv(NETDEV, flow_type) for flow_type in sorted(flow_types)]
    return commands


class FilterModule:
    """fastpath.host.nic_watch_commands."""

    def filters(self):
        return {"nic_watch_commands": nic_watch_commands}
