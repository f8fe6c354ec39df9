#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
"""Ansible module fastpath.host.smoke_server_stats: read fastpath-server's live counters (read-only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: smoke_server_stats
short_description: Read fastpath-server's counters from its stats socket
description:
  - Connects to the Unix stream socket fastpath-server serves its stats on (key C(stats_socket)),
    reads the one JSON document the server writes to each connection, and returns it as RV(stats).
  - The socket answers with the counters of that instant, unlike the stats file, which is rewritten
    only every C(stats_interval_ms); the smoke test reads it right before and right after the load.
  - Read-only; never changes anything.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  socket:
    description: Path of the server's stats socket.
    type: path
    default: /run/fastpath/stats.sock
  timeout:
    description: Seconds to wait for the connection and the whole document.
    type: float
    default: 5.0
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
  - Document format, counters and their meaning are in native/server/README.md ("Stats").
"""

EXAMPLES = r"""
- name: Read the server's counters before the load.
  fastpath.host.smoke_server_stats:
  register: before

- name: Show the drops by reason.
  ansible.builtin.debug:
    msg: "{{ before.stats.totals.drops }}"
"""

RETURN = r"""
stats:
  description: The server's stats document, as the server wrote it.
  returned: success
  type: dict
  sample:
    server: fastpath-server
    mode: echo
    xdp_mode: native
    uptime_s: 12.5
    totals: {rx_packets: 16000, tx_packets: 16000, socket_drops: 0, drops: {short: 0, magic: 0}}
    workers: [{worker: 0, cpu: 1, rx_packets: 16000}]
"""

import json  # noqa: E402
import socket  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

# A stats document of 64 workers is about 40 KiB; anything far larger is not the server talking.
_MAX_DOCUMENT = 4 << 20


def read_stats(path, timeout):
    """The JSON document the server writes to one connection, read to EOF."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        chunks, size = [], 0
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > _MAX_DOCUMENT:
                raise ValueError(f"more than {_MAX_DOCUMENT} bytes without an end")
            chunks.append(chunk)
    return json.loads(b"".join(chunks).decode("utf-8"))


def main():
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "default": "/run/fastpath/stats.sock"},
            "timeout": {"type": "float", "default": 5.0},
        },
        supports_check_mode=True,
    )
    path = module.params["socket"]
    if module.params["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be above 0 seconds; got {module.params['timeout']}")
    try:
        stats = read_stats(path, module.params["timeout"])
    except OSError as exc:
        module.fail_json(
            msg=f"cannot read fastpath-server's stats at {path}: {exc.strerror or exc}; "
            "is the server running (systemctl status fastpath-server) with stats_socket set?"
        )
    except ValueError as exc:
        module.fail_json(msg=f"fastpath-server's stats at {path} are not a JSON document: {exc}")
    if not isinstance(stats, dict) or not isinstance(stats.get("totals"), dict):
        module.fail_json(msg=f"the document at {path} is not fastpath-server's stats (no 'totals' object)")
    module.exit_json(changed=False, stats=stats)


if __name__ == "__main__":
    main()
