#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Compare what fastpath declared on this host with what is live, changing nothing."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fastpath_verify
short_description: Check that a host is still as fastpath tuned it, desired against live
description:
  - Desired is what tune left on the host for the purpose, the host's plan
    (C(/var/lib/fastpath/plan.json)), the NIC plans fastpath-reapply holds
    (C(/var/lib/fastpath/reapply/nic-IF.json), C(napi-IF.json)) and the sysctl.d files tune persisted.
  - Each NIC is checked by fastpath-reapply's own code in check mode (channels, rings, coalescing,
    flow hash, NAPI values, each queue's IRQ CPUs, XPS, RPS, RFS); the slice's AllowedCPUs against
    the plan's workers; each persisted sysctl against /proc/sys.
  - Never changes anything, in or out of check mode, and never reports C(changed).
  - A setting this host cannot hold (a global sysctl in a network namespace, a managed IRQ) is
    reported as skipped with its reason, not as a difference.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  sysctl_files:
    description: The sysctl.d files tune persisted (C(key = value) lines).
    type: list
    elements: path
    default: [/etc/sysctl.d/60-fastpath.conf, /etc/sysctl.d/61-fastpath-rfs.conf]
  slice:
    description: The systemd slice the plan's worker CPUs are given to.
    type: str
    default: fastpath.slice
  root:
    description: Root of /proc, /sys and /var to read; tests point it at a fixture tree.
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
- name: Compare this host with what fastpath declared.
  fastpath.host.fastpath_verify:
  register: verified
"""

RETURN = r"""
checks:
  description: Every setting compared, with status ok, differs or skipped (and the reason).
  returned: always
  type: list
  elements: dict
  sample: [{area: nic, setting: "sysfs eth0/tx-0/xps_cpus", desired: "0-1", live: "(none)", status: differs}]
differences:
  description: The checks whose live value differs from the desired one.
  returned: always
  type: list
  elements: dict
skipped:
  description: The checks this host cannot hold, with the reason.
  returned: always
  type: list
  elements: dict
plan:
  description: The host's plan as tune wrote it, or null when there is none.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.snapshot import SnapshotError  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.verify import verify_host  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "sysctl_files": {
                "type": "list",
                "elements": "path",
                "default": ["/etc/sysctl.d/60-fastpath.conf", "/etc/sysctl.d/61-fastpath-rfs.conf"],
            },
            "slice": {"type": "str", "default": "fastpath.slice"},
            "root": {"type": "path", "default": "/"},
        },
        supports_check_mode=True,
    )
    p = module.params

    def run(argv):
        return module.run_command(argv, environ_update={"LANG": "C", "LC_ALL": "C"})

    slice_cpus = None
    if p["root"] == "/":
        rc, fragment, _err = run(["systemctl", "show", "--property=FragmentPath", "--value", p["slice"]])
        if rc == 0 and fragment.strip():
            _rc, cpus, _err = run(["systemctl", "show", "--property=AllowedCPUs", "--value", p["slice"]])
            slice_cpus = cpus.strip()
    try:
        out = verify_host(root=p["root"], sysctl_files=p["sysctl_files"], slice_cpus=slice_cpus, run=run)
    except SnapshotError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=False, **out)


if __name__ == "__main__":
    main()
