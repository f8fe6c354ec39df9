"""The lab's SSH key and the ssh probes `up` and `status` use to know a host is really reachable."""

from __future__ import annotations

import subprocess
from pathlib import Path

from . import paths
from .run import run

# Lab hosts get fresh host keys every time they are made: never remember or check them.
OPTIONS = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
           "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=2"]
# The longest one reachability probe may take; a caller with less time left passes less.
PROBE_TIMEOUT = 5.0


def ensure_keypair(key: Path | None = None) -> Path:
    """The lab's ed25519 keypair, created once and reused by every instance."""
    key = key or paths.SSH_KEY
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fastpath-lab", "-f", str(key)])
    return key


def public_key(key: Path | None = None) -> str:
    return Path(f"{key or paths.SSH_KEY}.pub").read_text()


def ssh(address: str, command: list[str], timeout: float = 10) -> subprocess.CompletedProcess | None:
    """Run a command on a lab host as root; None when ssh itself could not connect or timed out."""
    argv = ["ssh", "-i", str(paths.SSH_KEY), *OPTIONS, f"root@{address}", "--", *command]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return None
    # ssh exits 255 for its own errors (refused, auth failed); other codes are the command's.
    return None if proc.returncode == 255 else proc


def reachable(address: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """True when root on the host runs `true` over ssh within timeout seconds (the whole probe)."""
    if timeout <= 0:
        return False
    proc = ssh(address, ["true"], timeout=timeout)
    return proc is not None and proc.returncode == 0
