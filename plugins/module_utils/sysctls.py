# SPDX-License-Identifier: Apache-2.0
"""Read sysctl values from /proc/sys under the host root (net.core.rmem_max -> proc/sys/net/core/rmem_max)."""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS


def read_sysctl_ints(fs: HostFS, names: list[str]) -> dict:
    """{name: int or None}. Global net.core sysctls do not exist inside a network namespace: None."""
    return {name: fs.read_int("proc/sys/" + name.replace(".", "/"), quiet=True) for name in names}
