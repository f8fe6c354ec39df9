# SPDX-License-Identifier: Apache-2.0
"""What the read-only host-model modules share: opening `root` and reporting partial-data reasons."""

from __future__ import annotations

import os

from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS


def open_root(module) -> HostFS:
    """A HostFS on the module's `root`, failing clearly when it is not a directory at all."""
    root = module.params["root"]
    if not os.path.isdir(root):
        module.fail_json(msg=f"root {root!r} is not a directory; give the one that holds proc/ and sys/")
    return HostFS(root)


def report_warnings(module, fs: HostFS) -> None:
    """Each reason becomes an Ansible warning; the registered result lists them under `warnings`."""
    for reason in fs.warnings:
        module.warn(reason)
