# SPDX-License-Identifier: Apache-2.0
"""Tell systemd a Type=notify service is ready (sd_notify(3)'s READY=1), with the standard library.

fastpath-reapply@IF.service says READY once its first re-apply is done, so a unit ordered after it
(fastpath-server) starts on a NIC whose channels, IRQs and masks are already as planned.
"""

from __future__ import annotations

import os
import socket


def notify(state: str = "READY=1") -> bool:
    """Send `state` to $NOTIFY_SOCKET; False when not run by systemd as a notify service."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    if path.startswith("@"):  # an abstract socket: its name starts with a NUL byte
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(state.encode(), path)
        except OSError:
            return False
    return True
