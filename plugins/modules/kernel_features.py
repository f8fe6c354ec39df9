#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Report what the running kernel can do for the dataplane: io_uring and XDP, probed for real."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kernel_features
short_description: Probe the running kernel for io_uring, XDP and the features the dataplane needs
description:
  - Reads the kernel release and probes io_uring and XDP by making the same system calls the
    dataplane makes (io_uring_setup of a 2-entry ring; loading a minimal XDP program through the
    verifier). Both are closed at once; nothing on the host changes.
  - Features that need a NIC or a ring of the dataplane's own to probe (multishot recvmsg, provided
    buffer rings, cpumap programs) are reported from the kernel version.
  - Also reports whether systemd is PID 1, which the dataplane service needs.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  min_kernel:
    description: Oldest kernel version accepted; C(meets_min_kernel) says whether this one is.
    type: str
    default: "5.15"
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Needs root (CAP_BPF and CAP_NET_ADMIN) for the XDP probe to mean anything.
"""

EXAMPLES = r"""
- name: Probe the kernel for io_uring and XDP.
  fastpath.host.kernel_features:
    min_kernel: "5.15"
  register: kernel

- name: Stop when io_uring is not usable.
  ansible.builtin.assert:
    that: kernel.io_uring.usable
    fail_msg: "{{ kernel.io_uring.reason }}"
"""

RETURN = r"""
release:
  description: The kernel release, as uname -r prints it.
  returned: always
  type: str
  sample: 6.1.0-18-amd64
version:
  description: The release's version as a dotted triple.
  returned: always
  type: str
  sample: 6.1.0
meets_min_kernel:
  description: Whether the version is at least I(min_kernel).
  returned: always
  type: bool
io_uring:
  description: Whether io_uring_setup() works here, and why not when it does not.
  returned: always
  type: dict
  sample: {usable: true, reason: "io_uring_setup() created a ring"}
xdp:
  description: Whether the kernel loads an XDP program here, and why not when it does not.
  returned: always
  type: dict
  sample: {usable: true, reason: "the verifier loaded an XDP program"}
features:
  description: Features judged by kernel version, each true or false.
  returned: always
  type: dict
  sample: {io_uring_recvmsg_multishot: true, io_uring_provided_buffer_ring: true}
systemd_pid1:
  description: Whether PID 1 is systemd.
  returned: always
  type: bool
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.kernel_features import (  # noqa: E402
    features_by_version,
    parse_release,
    probe_io_uring,
    probe_xdp,
)


def _pid1_is_systemd() -> bool:
    try:
        with open("/proc/1/comm") as f:
            return f.read().strip() == "systemd"
    except OSError:
        return False


def main():
    module = AnsibleModule(
        argument_spec={"min_kernel": {"type": "str", "default": "5.15"}},
        supports_check_mode=True,
    )
    release = os.uname().release
    try:
        version = parse_release(release)
        minimum = parse_release(module.params["min_kernel"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=False,
        release=release,
        version=".".join(map(str, version)),
        meets_min_kernel=version >= minimum,
        io_uring=probe_io_uring(),
        xdp=probe_xdp(),
        features=features_by_version(version),
        systemd_pid1=_pid1_is_systemd(),
    )


if __name__ == "__main__":
    main()
