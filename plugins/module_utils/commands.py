# SPDX-License-Identifier: Apache-2.0
"""Run the few commands the host model needs (ethtool, ip), live or replayed from a captured tree.

Live: the program runs with LANG=C/LC_ALL=C so its text is parseable. Replay: when the model reads a
fixture or captured tree (root is not "/"), a command's output is the file named like sosreport names
it, under <root>/sos_commands/networking/ ("ethtool -l eth0" -> "ethtool_-l_eth0"); a missing file
means the program was not available there.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS

NOT_FOUND = 127
_REPLAY_DIR = "sos_commands/networking"
_TIMEOUT_S = 10


def replay_name(argv: list[str]) -> str:
    return "_".join(argv).replace("/", ".")


class CommandRunner:
    """run(argv) -> (rc, combined output). rc 127 when the program is absent."""

    def __init__(self, fs: HostFS, run_live=None):
        self.fs = fs
        self._run_live = run_live or _subprocess_run

    def available(self, program: str) -> bool:
        if self.fs.live:
            return shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None
        return self.fs.exists(_REPLAY_DIR) and any(
            name.startswith(program + "_") for name in self.fs.listdir(_REPLAY_DIR, quiet=True)
        )

    def run(self, argv: list[str]) -> tuple[int, str]:
        if self.fs.live:
            return self._run_live(argv)
        text = self.fs.read(f"{_REPLAY_DIR}/{replay_name(argv)}", quiet=True)
        if text is None:
            return NOT_FOUND, f"no recorded output for {' '.join(argv)!r}"
        return 0, text


def _subprocess_run(argv: list[str]) -> tuple[int, str]:
    env = dict(os.environ, LANG="C", LC_ALL="C")
    path = shutil.which(argv[0], path=env.get("PATH", "") + ":/usr/sbin:/sbin")
    if path is None:
        return NOT_FOUND, f"{argv[0]}: not installed"
    try:
        proc = subprocess.run(
            [path, *argv[1:]], capture_output=True, text=True, env=env, timeout=_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return NOT_FOUND, f"{argv[0]}: {e}"
    return proc.returncode, proc.stdout + proc.stderr
