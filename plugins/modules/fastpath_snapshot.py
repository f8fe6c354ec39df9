#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Record what a file, directory, unit, account, package or XDP attachment was before a role changes it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fastpath_snapshot
short_description: Record the prior state of what a role is about to change, or show the snapshot
description:
  - With C(state=record), reads the current state of each of C(keys) and records it in
    C(/var/lib/fastpath/snapshot.json) unless it is recorded already; the first record wins, so run
    it before every change. M(fastpath.host.fastpath_restore) puts it back.
  - C(file) - whether it exists, its content, mode and owner. C(dir) - whether it exists, its mode and
    owner (C(tree) - fastpath makes it and all that goes in it, so the restore removes it whole); the
    missing parents of a missing directory are recorded with it, since making it makes them.
    C(service) - a systemd unit's enabled and active state. C(user), C(group) - the account's line
    of /etc/passwd or /etc/group. C(package) - that the packages apt would install for C(keys)
    (their dependencies included) are not installed. C(xdp) - an interface on which fastpath
    attaches its XDP program (C(xdp_cli), C(xdp_pin_root) say how to detach it).
  - With C(state=show), returns the snapshot's entries and changes nothing.
  - Kernel settings need no separate record - M(fastpath.host.sysctl_apply), M(fastpath.host.irq_affinity)
    and M(fastpath.host.nic_queues) record before they write.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  state:
    description: C(record) the current state of the keys, or C(show) the snapshot.
    type: str
    choices: [record, show]
    default: record
  kind:
    description: What the keys name.
    type: str
    choices: [file, dir, service, user, group, package, xdp]
  key:
    description: One key - an absolute path, a unit, an account, a package or an interface name.
    type: str
  keys:
    description: Several keys of the same kind, recorded in one call.
    type: list
    elements: str
  scope:
    description:
      - C(tune) for what tune.yml changes (restore.yml puts it back), C(dataplane) for what deploy.yml
        installs (uninstall.yml removes it too).
    type: str
    choices: [tune, dataplane]
    default: tune
  tree:
    description: With C(kind=dir), fastpath makes the directory and everything in it.
    type: bool
    default: false
  restart_after:
    description:
      - With C(kind=service), the files the running unit read its configuration from (absolute paths,
        each recorded with C(kind=file) too). A restore that puts one of them back restarts the unit
        when it is to keep running, so it runs with the configuration it had again.
    type: list
    elements: path
    default: []
  xdp_cli:
    description: With C(kind=xdp), the fastpath-xdp command that detaches the program.
    type: path
  xdp_pin_root:
    description: With C(kind=xdp), the pin root of the program's maps.
    type: path
    default: /sys/fs/bpf/fastpath
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

- name: Remember that the build packages and their dependencies were not installed.
  fastpath.host.fastpath_snapshot:
    kind: package
    keys: [clang, libbpf-dev]
    scope: dataplane
"""

RETURN = r"""
recorded:
  description: Whether this call added a record (false if every key was recorded before).
  returned: state=record
  type: bool
value:
  description: The recorded prior value of C(key) (the earlier one if it was already recorded).
  returned: state=record with key
  type: raw
values:
  description: Key to its recorded prior value, for every key recorded by this call or before.
  returned: state=record
  type: dict
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

from ansible_collections.fastpath.host.plugins.module_utils.restore_accounts import account_state  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import path_of  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.restore_files import dir_state, file_state  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.restore_packages import (  # noqa: E402
    PackageError,
    package_state,
    would_install,
)
from ansible_collections.fastpath.host.plugins.module_utils.restore_units import service_state  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import (  # noqa: E402
    SCOPES,
    SnapshotError,
    open_snapshot,
    snapshot_path,
)


def current_values(module, kind: str, keys: list[str]) -> dict:
    p = module.params
    root = p["root"]

    def run(argv):
        return module.run_command(argv, environ_update={"LANG": "C"})

    if kind == "file":
        return {k: file_state(path_of("file", k, root)) for k in keys}
    if kind == "dir":
        # Making a directory makes its missing parents: they are recorded too (not as trees).
        found = {}
        for key in keys:
            found[key] = dir_state(path_of("dir", key, root), tree=p["tree"])
            parent = os.path.dirname(key.rstrip("/"))
            while parent not in ("/", "") and not os.path.isdir(path_of("dir", parent, root)):
                found.setdefault(parent, dir_state(path_of("dir", parent, root)))
                parent = os.path.dirname(parent)
        return found
    if kind in ("user", "group"):
        return {k: account_state(kind, k, root) for k in keys}
    if kind == "package":
        # What apt would install now, dependencies included: absent today, fastpath's tomorrow.
        return {name: package_state(name, run) for name in would_install(keys, run)} if keys else {}
    if kind == "xdp":
        return {k: {"cli": p["xdp_cli"], "pin_root": p["xdp_pin_root"]} for k in keys}
    extra = {"restart_after": p["restart_after"]} if p["restart_after"] else {}
    return {k: {**service_state(k, run), **extra} for k in keys}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["record", "show"], "default": "record"},
            "kind": {"type": "str", "choices": ["file", "dir", "service", "user", "group", "package", "xdp"]},
            "key": {"type": "str", "no_log": False},
            "keys": {"type": "list", "elements": "str", "no_log": False},
            "scope": {"type": "str", "choices": list(SCOPES), "default": "tune"},
            "tree": {"type": "bool", "default": False},
            "restart_after": {"type": "list", "elements": "path", "default": []},
            "xdp_cli": {"type": "path"},
            "xdp_pin_root": {"type": "path", "default": "/sys/fs/bpf/fastpath"},
            "root": {"type": "path", "default": "/"},
        },
        required_if=[("state", "record", ("kind",)), ("state", "record", ("key", "keys"), True),
                     ("kind", "xdp", ("xdp_cli",))],
        mutually_exclusive=[("key", "keys")],
        supports_check_mode=True,
    )
    p = module.params
    path = snapshot_path(p["root"])
    try:
        if p["state"] == "show":
            with open_snapshot(p["root"], write=False) as snap:
                module.exit_json(changed=False, path=path, entries=sorted(snap.entries.values(), key=str))
        keys = [p["key"]] if p["key"] is not None else p["keys"]
        if p["kind"] in ("file", "dir"):
            relative = [k for k in keys if not os.path.isabs(k)]
            if relative:
                module.fail_json(msg=f"keys: {relative[0]!r} must be an absolute path for kind {p['kind']}")
        if p["restart_after"] and p["kind"] != "service":
            module.fail_json(msg=f"restart_after is for kind service, not {p['kind']}")
        relative = [f for f in p["restart_after"] if not os.path.isabs(f)]
        if relative:
            module.fail_json(msg=f"restart_after: {relative[0]!r} must be an absolute path")
        values = current_values(module, p["kind"], keys)
        recorded = False
        with open_snapshot(p["root"], write=not module.check_mode) as snap:
            for key, value in values.items():
                recorded |= snap.record(p["kind"], key, value, scope=p["scope"])
            values = {key: snap.get(p["kind"], key)["value"] for key in values}
    except (SnapshotError, PackageError, NotADirectoryError) as e:
        module.fail_json(msg=str(e))
    out = {"recorded": recorded, "values": values, "path": path}
    if p["key"] is not None:
        out["value"] = values[p["key"]]
    module.exit_json(changed=recorded, **out)


if __name__ == "__main__":
    main()
