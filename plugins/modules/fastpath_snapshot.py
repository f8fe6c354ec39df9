#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Record a file's or a service's state in fastpath's snapshot before a role changes it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fastpath_snapshot
short_description: Record the prior state of a file or service in fastpath's snapshot, or show the snapshot
description:
  - With C(state=record), reads the current state of C(key) (a file's content and existence, or a
    systemd unit's enabled and active state) and records it in C(/var/lib/fastpath/snapshot.json)
    unless it is recorded already; the first record wins, so run it before every change.
  - With C(state=show), returns the snapshot's entries and changes nothing.
  - Kernel settings need no separate record - M(fastpath.host.sysctl_apply), M(fastpath.host.irq_affinity)
    and M(fastpath.host.nic_queues) record before they write.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  state:
    description: C(record) the current state of C(key), or C(show) the snapshot.
    type: str
    choices: [record, show]
    default: record
  kind:
    description: What C(key) names.
    type: str
    choices: [file, service]
  key:
    description: An absolute file path, or a systemd unit name.
    type: str
  root:
    description: Root of the host's tree (files and the snapshot); tests point it at a fixture tree.
    type: path
    default: /
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Remember whether the slice unit existed before fastpath writes it.
  fastpath.host.fastpath_snapshot:
    kind: file
    key: /etc/systemd/system/fastpath.slice

- name: Remember irqbalance's enabled and active state before stopping it.
  fastpath.host.fastpath_snapshot:
    kind: service
    key: irqbalance.service
"""

RETURN = r"""
recorded:
  description: Whether this call added the record (false if the key was recorded before).
  returned: state=record
  type: bool
value:
  description: The recorded prior value of the key (the earlier one if it was already recorded).
  returned: state=record
  type: raw
entries:
  description: Every entry of the snapshot.
  returned: state=show
  type: list
  elements: dict
path:
  description: The snapshot file.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.restore import path_of, service_state  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import (  # noqa: E402
    SnapshotError,
    open_snapshot,
    snapshot_path,
)


def current_value(module, kind: str, key: str, root: str):
    if kind == "file":
        path = path_of("file", key, root)
        try:
            with open(path) as f:
                return {"exists": True, "content": f.read()}
        except FileNotFoundError:
            return {"exists": False, "content": None}
    return service_state(key, lambda argv: module.run_command(argv, environ_update={"LANG": "C"}))


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["record", "show"], "default": "record"},
            "kind": {"type": "str", "choices": ["file", "service"]},
            "key": {"type": "str", "no_log": False},
            "root": {"type": "path", "default": "/"},
        },
        required_if=[("state", "record", ("kind", "key"))],
        supports_check_mode=True,
    )
    p = module.params
    path = snapshot_path(p["root"])
    try:
        if p["state"] == "show":
            with open_snapshot(p["root"], write=False) as snap:
                module.exit_json(changed=False, path=path, entries=sorted(snap.entries.values(), key=str))
        if p["kind"] == "file" and not os.path.isabs(p["key"]):
            module.fail_json(msg=f"key: {p['key']!r} must be an absolute path for kind file")
        value = current_value(module, p["kind"], p["key"], p["root"])
        with open_snapshot(p["root"], write=not module.check_mode) as snap:
            recorded = snap.record(p["kind"], p["key"], value)
            value = snap.get(p["kind"], p["key"])["value"]
    except SnapshotError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=recorded, recorded=recorded, value=value, path=path)


if __name__ == "__main__":
    main()
