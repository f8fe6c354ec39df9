# SPDX-License-Identifier: Apache-2.0
"""A stage's stamp: what a converged stage left on a host, and whether anything has moved since.

A stage (tune, deploy) that converged on a host records two things here: the digest of its inputs
(variables and code, made on the controller) and a fingerprint of the host state it manages (file
contents, sysfs/procfs values, command output such as `ethtool -l`). On the next run, if the inputs
are the same and every fingerprinted item reads the same, running the stage again would find
nothing to change, so the playbook may skip it after this one read. Any difference -- an input, a
file, an IRQ's affinity, a unit's state, an item appearing or vanishing -- and the stage runs in full.
The fingerprint is deliberately wider than what the stage writes: a false "drifted" costs one full
run, a false "converged" would leave drift in place.
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import json
import os
import subprocess

STAMP_VERSION = 1
STAMP_DIR = "/var/lib/fastpath/stamps"
# Enough to name what moved; the count says how many more.
MAX_DRIFT_NAMED = 10
COMMAND_TIMEOUT_S = 20
# In a command, stands for each network interface in turn.
NETDEV = "{netdev}"
# Among the interfaces asked for: those of the default routes.
DEFAULT_ROUTE = "default-route"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def _read_path(path: str) -> str:
    """Digest of one path: a file's bytes and owner/mode, a directory's owner/mode, or why not."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"error:{exc.strerror}"
    meta = f"{st.st_mode:o}:{st.st_uid}:{st.st_gid}"
    if os.path.islink(path):
        return f"link:{meta}:{os.readlink(path)}"
    if os.path.isdir(path):
        return f"dir:{meta}"
    try:
        with open(path, "rb") as handle:
            return f"file:{meta}:{_digest(handle.read())}"
    except OSError as exc:
        # Some sysfs/procfs files cannot be read (write-only, not supported by the driver): that
        # answer is itself stable, so it is part of the fingerprint.
        return f"unreadable:{meta}:{exc.strerror}"


def _run(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=COMMAND_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"error:{type(exc).__name__}:{exc}"
    output = _digest(proc.stdout + b"\0" + proc.stderr)
    return f"rc{proc.returncode}:{output}"


def netdevs(sys_class_net: str = "/sys/class/net") -> list[str]:
    """The network interfaces of this host (its network namespace), loopback left out."""
    try:
        return sorted(name for name in os.listdir(sys_class_net) if name != "lo")
    except OSError:
        return []


def default_route_netdevs(proc_net: str = "/proc/net") -> list[str]:
    """The interfaces of the IPv4 and IPv6 default routes (where the dataplane attaches XDP when it
    is not told an interface), from /proc/net/route and /proc/net/ipv6_route."""
    found = set()
    try:
        with open(os.path.join(proc_net, "route"), encoding="ascii") as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if len(fields) > 7 and fields[1] == "00000000" and fields[7] == "00000000":
                    found.add(fields[0])
    except OSError:
        pass
    try:
        with open(os.path.join(proc_net, "ipv6_route"), encoding="ascii") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) == 10 and fields[0] == "0" * 32 and fields[1] == "00" and fields[9] != "lo":
                    found.add(fields[9])
    except OSError:
        pass
    return sorted(found)


def choose_netdevs(wanted: list[str]) -> list[str]:
    """The interfaces {netdev} stands for: the names given; `default-route` among them stands for the
    default routes' interfaces; nothing given (or no default route) means every interface but lo."""
    names = set()
    for name in wanted:
        names.update(default_route_netdevs() if name == DEFAULT_ROUTE else [name])
    return sorted(names) if names else netdevs()


def sysctl_keys(paths: list[str]) -> list[str]:
    """The keys set ("key = value") in the sysctl.d files the globs match: the stage's persist files
    say which sysctls it set, whatever profile or overrides chose them."""
    keys = set()
    for pattern in paths:
        for path in glob.glob(pattern):
            try:
                with open(path, encoding="utf-8") as handle:
                    lines = handle.read().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if line and not line.startswith(("#", ";")) and "=" in line:
                    keys.add(line.split("=", 1)[0].strip().lstrip("-"))
    return sorted(keys)


def expand(commands: list[list[str]], interfaces: list[str]) -> list[list[str]]:
    """A command with NETDEV in an argument runs once per interface, the name put in its place: the
    state of every NIC is watched without the stage having to name them."""
    out = []
    for argv in commands:
        if any(NETDEV in arg for arg in argv):
            out.extend([arg.replace(NETDEV, name) for arg in argv] for name in interfaces)
        else:
            out.append(list(argv))
    return out


def expand_paths(paths: list[str], interfaces: list[str]) -> list[str]:
    """A path pattern with NETDEV in it stands for one pattern per interface, as in commands."""
    return [argv[0] for argv in expand([[pattern] for pattern in paths], interfaces)]


def fingerprint(paths: list[str], commands: list[list[str]], interfaces: list[str] | None = None,
                sysctl_files: list[str] = ()) -> dict[str, str]:
    """Item -> digest for every path each glob matches (a glob matching nothing is an item too, so
    a file appearing is a change), for the live value of every sysctl the sysctl_files set, and for
    every command's exit code and output ({netdev}, in a path or a command, over `interfaces`, else
    every interface)."""
    items: dict[str, str] = {}
    interfaces = netdevs() if interfaces is None else interfaces
    for key in sysctl_keys(list(sysctl_files)):
        items[f"sysctl:{key}"] = _read_path("/proc/sys/" + key.replace(".", "/"))
    for pattern in expand_paths(paths, interfaces):
        matches = sorted(glob.glob(pattern, recursive=True))
        items[f"glob:{pattern}"] = str(len(matches))
        for path in matches:
            items[f"path:{path}"] = _read_path(path)
    for argv in expand(commands, interfaces):
        items["cmd:" + " ".join(argv)] = _run(argv)
    return items


def drift(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """What differs between two fingerprints, named: changed, appeared and vanished items."""
    moved = []
    for item in sorted(recorded.keys() | current.keys()):
        if item not in current:
            moved.append(f"{item} (gone)")
        elif item not in recorded:
            moved.append(f"{item} (new)")
        elif recorded[item] != current[item]:
            moved.append(item)
    return moved


def stamp_path(stage: str, stamp_dir: str = STAMP_DIR) -> str:
    return os.path.join(stamp_dir, f"{stage}.json")


def load(stage: str, stamp_dir: str = STAMP_DIR) -> dict | None:
    """The recorded stamp, or None when there is none or it is unreadable or of another version."""
    try:
        with open(stamp_path(stage, stamp_dir), encoding="utf-8") as handle:
            stamp = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("version") != STAMP_VERSION:
        return None
    return stamp


def compare(stamp: dict | None, inputs_digest: str, current: dict[str, str]) -> tuple[bool, str, list[str]]:
    """(converged, why, drifted items) for a stamp against this run's inputs and this state."""
    if stamp is None:
        return False, "no stamp: the stage has not converged here with this version of fastpath", []
    if stamp.get("inputs") != inputs_digest:
        return False, "inputs changed: a variable, role, module or source differs from the converged run", []
    moved = drift(stamp.get("state", {}), current)
    if moved:
        named = ", ".join(moved[:MAX_DRIFT_NAMED])
        more = f" and {len(moved) - MAX_DRIFT_NAMED} more" if len(moved) > MAX_DRIFT_NAMED else ""
        return False, f"drifted: {named}{more}", moved
    return True, f"converged at {stamp.get('recorded_at', '?')}, nothing drifted since", []


def record(stage: str, inputs_digest: str, current: dict[str, str], outputs: dict,
           stamp_dir: str = STAMP_DIR, write: bool = True) -> bool:
    """Write the stamp when it differs from the one on disk (a converged re-record keeps its date);
    returns whether it was (or, with write false, would be) written. Written by rename, so a crash
    leaves the old stamp or the new one, never half of one."""
    old = load(stage, stamp_dir)
    same = (old is not None and old.get("inputs") == inputs_digest and old.get("state") == current
            and old.get("outputs") == outputs)
    if same or not write:
        return not same
    stamp = {
        "version": STAMP_VERSION,
        "stage": stage,
        # timezone.utc, not datetime.UTC: this runs on the managed host, whose Python may be older.
        "recorded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),  # noqa: UP017
        "inputs": inputs_digest,
        "outputs": outputs,
        "state": current,
    }
    os.makedirs(stamp_dir, mode=0o700, exist_ok=True)
    path = stamp_path(stage, stamp_dir)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(stamp, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return True


def forget(stage: str, stamp_dir: str = STAMP_DIR) -> bool:
    """Remove a stage's stamp (restore, a failed stage); returns whether there was one."""
    try:
        os.unlink(stamp_path(stage, stamp_dir))
    except FileNotFoundError:
        return False
    return True
