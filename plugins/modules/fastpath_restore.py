#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Put back every value fastpath's snapshot recorded, then set the snapshot aside."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fastpath_restore
short_description: Restore every setting recorded in fastpath's snapshot, exactly
description:
  - Reads C(/var/lib/fastpath/snapshot.json) and puts back each recorded value - ethtool channels,
    rings and coalescing first, then queue masks and counts, IRQ affinities, sysctls, then files
    (removed if fastpath created them) and services (enabled/active state).
  - Values already equal are left alone, so a second run changes nothing.
  - When every entry is restored (or skipped because its interface or IRQ is gone), the snapshot is
    renamed C(snapshot.restored-TIME.json) so the next tune records the host afresh.
  - In check mode nothing is written and the snapshot stays; the diff shows current against recorded.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  root:
    description: Root of the host's tree; tests point it at a fixture tree.
    type: path
    default: /
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
"""

RETURN = r"""
results:
  description: One entry per recorded setting, with status ok, changed, skipped or failed.
  returned: always
  type: list
  elements: dict
  sample: [{kind: sysctl, key: net.core.rmem_max, before: "16777216", after: "212992", status: changed}]
archived:
  description: Where the snapshot was moved, or null if it was kept or there was none.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.restore import restore_entries  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError, open_snapshot  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "root": {"type": "path", "default": "/"},
            "keep_snapshot": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    root = module.params["root"]

    def run(argv):
        return module.run_command(argv, environ_update={"LANG": "C"})

    try:
        with open_snapshot(root, write=not module.check_mode) as snap:
            results = restore_entries(
                list(snap.entries.values()), root=root, check_mode=module.check_mode, run=run
            )
            failed = [r for r in results if r["status"] == "failed"]
            archived = None
            if snap.entries and not failed and not module.check_mode and not module.params["keep_snapshot"]:
                archived = snap.archive()
    except SnapshotError as e:
        module.fail_json(msg=str(e))
    changed = [r for r in results if r["status"] == "changed"]
    diff = {
        "before": "".join(f"{r['label']} = {r['before']}\n" for r in changed if "before" in r),
        "after": "".join(f"{r['label']} = {r['after']}\n" for r in changed),
    }
    if failed:
        module.fail_json(
            msg="could not restore: " + "; ".join(r["reason"] for r in failed), results=results, diff=diff
        )
    module.exit_json(changed=bool(changed) or bool(archived), results=results, archived=archived, diff=diff)


if __name__ == "__main__":
    main()
