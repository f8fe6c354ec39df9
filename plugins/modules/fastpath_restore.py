#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Put back every value fastpath's snapshot recorded, remove what it added, then set the record aside."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fastpath_restore
short_description: Put back every setting fastpath's snapshot recorded and remove what fastpath added
description:
  - Reads C(/var/lib/fastpath/snapshot.json) and puts back each recorded value, in an order derived
    from what depends on what (RV(order) lists it with the reasons) - units fastpath added or started
    stopped and disabled while their files exist, fastpath's udev rules and XDP program gone before
    the NIC changes, ethtool channels, rings and coalescing before the queue masks and IRQ
    affinities they reset, files and directories fastpath created removed (others put back with their
    mode and owner), systemd reloaded, users and groups fastpath added removed, the boot loader
    regenerated after a boot drop-in went, and services fastpath had stopped started again.
  - IRQ affinities recorded by queue are matched to today's IRQ of that queue, so a reboot or a
    channel change that renumbered the IRQs does not matter.
  - Values already equal are left alone, so a second run changes nothing. A run stopped halfway is
    completed by running it again.
  - When every entry is restored (or skipped because its interface or IRQ is gone), the restored
    entries go to C(snapshot.restored-TIME.json) so the next tune records the host afresh.
  - In check mode nothing is written and the snapshot stays; the diff shows current against recorded.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  root:
    description: Root of the host's tree; tests point it at a fixture tree.
    type: path
    default: /
  dataplane:
    description:
      - Also remove what the dataplane role installed (deploy.yml) - the service and its unit, the
        XDP program and its pins, binaries, build tree, configuration, user and group. Without it
        only what tune changed is put back and the dataplane keeps running.
    type: bool
    default: false
  packages:
    description:
      - Purge the Debian packages the dataplane role installed (only those that were absent before).
        Without it they stay, and stay recorded, so a later run with it can still remove them.
    type: bool
    default: false
  forget:
    description:
      - Remove fastpath's state directory C(/var/lib/fastpath) (stamps, archives) once nothing is left
        recorded in it (uninstall.yml). Ignored while some entry is still kept or failed.
    type: bool
    default: false
  keep_snapshot:
    description: Leave the snapshot in place after restoring (for restore tests that restore twice).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Put the host back as it was before fastpath's first tune.
  fastpath.host.fastpath_restore:

- name: Uninstall - also remove the dataplane and fastpath's own state, keep the packages.
  fastpath.host.fastpath_restore:
    dataplane: true
    forget: true
"""

RETURN = r"""
results:
  description: One per recorded setting and host-wide step; status ok, changed, skipped, kept or failed.
  returned: always
  type: list
  elements: dict
  sample: [{kind: sysctl, key: net.core.rmem_max, before: "16777216", after: "212992", status: changed}]
archived:
  description: Where the restored entries were moved, or null if they were kept or there were none.
  returned: always
  type: str
kept:
  description: Entries left recorded on purpose (packages without C(packages=true)).
  returned: always
  type: int
reboot_pending:
  description: Whether the running kernel still has boot arguments that only a reboot takes away.
  returned: always
  type: bool
notes:
  description: What the operator should know (a reboot pending).
  returned: always
  type: list
  elements: str
order:
  description: The order of the steps, one line per dependency with its reason.
  returned: always
  type: list
  elements: str
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.restore import restore_entries  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.restore_context import Context  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.restore_order import reasons  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import (  # noqa: E402
    SnapshotError,
    open_snapshot,
    snapshot_path,
    state_dir,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "root": {"type": "path", "default": "/"},
            "dataplane": {"type": "bool", "default": False},
            "packages": {"type": "bool", "default": False},
            "forget": {"type": "bool", "default": False},
            "keep_snapshot": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    root = p["root"]
    scopes = ("tune", "dataplane") if p["dataplane"] else ("tune",)
    ctx = Context()

    def run(argv):
        return module.run_command(argv, environ_update={"LANG": "C"})

    archived, forgotten = None, False
    # No snapshot, nothing to lock: opening it for writing would make the state directory (for
    # the lock) that a restore with nothing left to do then removes, a change on every rerun.
    write = not module.check_mode and os.path.exists(snapshot_path(root))
    try:
        with open_snapshot(root, write=write) as snap:
            entries = snap.in_scopes(scopes)
            results = restore_entries(entries, root=root, check_mode=module.check_mode, run=run,
                                      packages=p["packages"], context=ctx)
            failed = [r for r in results if r["status"] == "failed"]
            kept = {(r["kind"], r["key"]) for r in results if r["status"] == "kept"}
            done = [e for e in entries if (e["kind"], e["key"]) not in kept]
            if done and not failed and write and not p["keep_snapshot"]:
                archived = snap.archive(done)
            forget = p["forget"] and not failed and not snap.entries and not module.check_mode
    except SnapshotError as e:
        module.fail_json(msg=str(e))
    if forget:
        forgotten = _forget(root)
    changed = [r for r in results if r["status"] == "changed"]
    diff = {
        "before": "".join(f"{r['label']} = {r['before']}\n" for r in changed if "before" in r),
        "after": "".join(f"{r['label']} = {r['after']}\n" for r in changed if "after" in r),
    }
    out = {"results": results, "archived": archived, "kept": len(kept), "reboot_pending": ctx.reboot_pending,
           "notes": ctx.notes, "order": reasons(), "diff": diff}
    if failed:
        reasons_failed = "; ".join(f"{r['label']}: {r['reason']}" for r in failed)
        module.fail_json(msg=f"could not restore: {reasons_failed}", **out)
    module.exit_json(changed=bool(changed) or bool(archived) or forgotten, **out)


def _forget(root: str) -> bool:
    path = state_dir(root)
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return False
    return True


if __name__ == "__main__":
    main()
