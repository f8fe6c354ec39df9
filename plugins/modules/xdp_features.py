#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Report, per interface, what its driver can do for XDP and AF_XDP (zero-copy or copy mode)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: xdp_features
short_description: Report each interface's XDP features and the AF_XDP mode it gets
description:
  - Dumps the kernel's C(netdev) generic netlink family (Linux 6.3 and later), which lists every
    interface of the network namespace with the XDP features its driver declares.
  - C(xdp_mode) is the XDP mode the driver offers, C(native) (it declares C(basic)) or C(generic).
  - An AF_XDP socket works on every interface; C(afxdp_mode) says how fast, from the features -
    C(zero-copy) (the driver has C(xsk_zerocopy)), C(copy (native XDP)) (it redirects in the driver),
    or C(copy (generic XDP only)).
  - Read-only; needs no privileges.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  interfaces:
    description: Interfaces to report; empty means every interface.
    type: list
    elements: str
    default: []
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
- name: Read what each NIC offers AF_XDP.
  fastpath.host.xdp_features:
    interfaces: [eth0]
  register: xdp_features

- name: Say whether eth0 has zero-copy.
  ansible.builtin.debug:
    msg: "{{ xdp_features.interfaces.eth0.afxdp_mode }}"
"""

RETURN = r"""
interfaces:
  description: Per interface name; empty when C(reason) says why nothing could be read.
  returned: always
  type: dict
  sample: {eth0: {xdp_features: [basic, redirect, xsk_zerocopy, rx_sg], afxdp: true, zerocopy: true,
                  afxdp_mode: zero-copy, xdp_mode: native}}
reason:
  description: Why no features were read (an older kernel has no netdev family), else null.
  returned: always
  type: str
"""

import socket  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.fastpath.host.plugins.module_utils.xdp_features import (  # noqa: E402
    afxdp_support,
    read_features,
)


def main():
    module = AnsibleModule(
        argument_spec={"interfaces": {"type": "list", "elements": "str", "default": []}},
        supports_check_mode=True,
    )
    features, reason = read_features()
    report = {}
    for ifindex, bits in sorted((features or {}).items()):
        try:
            name = socket.if_indextoname(ifindex)
        except OSError:
            continue  # gone since the dump
        if not module.params["interfaces"] or name in module.params["interfaces"]:
            report[name] = afxdp_support(bits)
    missing = [n for n in module.params["interfaces"] if features is not None and n not in report]
    warnings = [f"interface {n!r} was not in the kernel's list" for n in missing]
    module.exit_json(changed=False, interfaces=report, reason=reason, warnings=warnings)


if __name__ == "__main__":
    main()
