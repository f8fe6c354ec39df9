"""state.json: what a running lab instance is made of (hosts, their PIDs and addresses).

Written after every change so a crash leaves behind a record `down` can clean up from.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import paths
from .errors import EXIT_USAGE, LabError
from .fleet import HostSpec

FORMAT = 1


@dataclass
class HostState:
    """One host as it was made: its plan, the nspawn process that runs it, and its files."""

    name: str
    group: str
    address: str
    netns: str
    veth: str
    pid: int = 0
    # The process start time (field 22 of /proc/PID/stat) so a reused PID is never mistaken for ours.
    pid_start: int = 0
    root: str = ""
    console_log: str = ""
    # The image directory the host's overlay sits on: never pruned or rebuilt while the host runs.
    image: str = ""
    # "netns" (systemd-nspawn in a namespace) or "vm" (QEMU: pid is QEMU's, veth is its tap, netns is
    # empty); the VM fields record what it was started with.
    kind: str = "netns"
    accel: str = ""
    vcpus: int = 0
    memory: int = 0
    queues: int = 0
    disk: str = ""

    @classmethod
    def from_spec(cls, spec: HostSpec) -> HostState:
        return cls(name=spec.name, group=spec.group, address=spec.address, netns=spec.netns, veth=spec.veth)


@dataclass
class LabState:
    instance: int
    size: int
    image: str = ""
    hosts: dict[str, HostState] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {"format": FORMAT, "instance": self.instance, "size": self.size, "image": self.image,
                "hosts": [asdict(h) for h in self.hosts.values()]}
        return json.dumps(data, indent=2) + "\n"


def parse(text: str, source: str = "state.json") -> LabState:
    """Parse a state file; any damage becomes a LabError that says how to recover."""
    recover = f"; `fastpath lab down` removes what it can find by name and starts afresh ({source})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabError(f"lab state is not valid JSON: {exc.msg} at line {exc.lineno}" + recover,
                       EXIT_USAGE) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LabError(f"lab state has an unknown format (want format {FORMAT})" + recover, EXIT_USAGE)
    try:
        hosts = {}
        for raw in data["hosts"]:
            host = HostState(**raw)
            if not isinstance(host.pid, int) or not isinstance(host.pid_start, int):
                raise TypeError(f"host {host.name}: pid and pid_start must be integers")
            hosts[host.name] = host
        return LabState(instance=int(data["instance"]), size=int(data["size"]),
                        image=str(data.get("image", "")), hosts=hosts)
    except (KeyError, TypeError, ValueError) as exc:
        raise LabError(f"lab state is missing or has a bad field ({exc})" + recover, EXIT_USAGE) from exc


def load(instance: int) -> LabState | None:
    """The instance's state, or None when it has none (the lab is down)."""
    path = paths.state_file(instance)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    return parse(text, str(path))


def save(state: LabState) -> None:
    """Write atomically: a reader sees the old state or the new one, never half of one."""
    path = paths.state_file(state.instance)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(state.to_json())
    os.replace(tmp, path)


def remove(instance: int) -> None:
    Path(paths.state_file(instance)).unlink(missing_ok=True)
