# SPDX-License-Identifier: Apache-2.0
"""nic_info's entry of a NIC as it will read after `ethtool -L`, for check mode's plan
(module_utils/channel_forecast.py says what is forecast, driver by driver)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.module_utils.channel_forecast import after_channels


def nic_after_channels(nic: dict, channels: dict) -> dict:
    """facts | nic_after_channels({"combined": 2}) -> the facts once the channels are set, with
    `forecast` (what was forecast, the queues whose IRQs are known only after the change)."""
    if not isinstance(nic, dict) or not isinstance(channels, dict):
        raise AnsibleFilterError("nic_after_channels: a nic_info interface entry and a channels dict")
    try:
        return after_channels(nic, {k: int(v) for k, v in channels.items()})
    except (TypeError, ValueError, KeyError) as e:
        raise AnsibleFilterError(f"nic_after_channels: {e}") from None


class FilterModule:
    """fastpath.host.nic_after_channels."""

    def filters(self):
        return {"nic_after_channels": nic_after_channels}
