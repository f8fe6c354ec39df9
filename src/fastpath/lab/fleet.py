"""The shape of a lab fleet: which hosts a size means, and their names and addresses.

Pure functions with no side effects, shared by the CLI and the inventory plugin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import EXIT_USAGE, LabError

DEFAULT_SIZE = 3
MAX_SIZE = 16
# Up to 16 labs side by side (one per helper or clone): names fp15-srv16 fit IFNAMSIZ, 198.18.15.0/24
# stays in the benchmarking range, the MAC's instance byte is two hex digits.
MAX_INSTANCE = 15
INSTANCE_ENV = "FASTPATH_LAB_INSTANCE"
SERVER_GROUP = "dataplane_servers"
CLIENT_GROUP = "load_clients"
# Hosts sit in the benchmarking range 198.18.0.0/15, one /24 per instance.
SERVER_FIRST_OCTET = 11
CLIENT_FIRST_OCTET = 101


@dataclass(frozen=True)
class HostSpec:
    """One lab host as the plan wants it."""

    name: str
    group: str
    instance: int
    address: str

    @property
    def netns(self) -> str:
        return f"fp{self.instance}-{self.name}"

    @property
    def veth(self) -> str:
        """The outer end of the host's veth, on the bridge (the inner end is eth0)."""
        return f"fp{self.instance}-{self.name}"

    @property
    def mac(self) -> str:
        """A fixed, locally administered MAC for eth0, derived from the address: a host made again
        answers with the same MAC, so the machine's ARP entry for it never goes stale (a stale one
        stalled SSH for ~30 s after a host was repaired)."""
        last = int(self.address.rsplit(".", 1)[1])
        return f"02:66:70:{self.instance:02x}:00:{last:02x}"

    @property
    def machine(self) -> str:
        """The nspawn machine name: unique across instances, unlike the host name."""
        return f"fp{self.instance}-{self.name}"


def validate_size(size: int) -> int:
    if not 1 <= size <= MAX_SIZE:
        raise LabError(f"lab size must be between 1 and {MAX_SIZE} hosts, got {size}", EXIT_USAGE)
    return size


def validate_instance(instance: int) -> int:
    if not 0 <= instance <= MAX_INSTANCE:
        raise LabError(f"lab instance must be between 0 and {MAX_INSTANCE}, got {instance}", EXIT_USAGE)
    return instance


def instance_from_env(default: int = 0) -> int:
    """The instance named by FASTPATH_LAB_INSTANCE, or default when it is unset or empty."""
    raw = os.environ.get(INSTANCE_ENV, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise LabError(f"{INSTANCE_ENV} must be a number from 0 to {MAX_INSTANCE}, got {raw!r}", EXIT_USAGE)
    return validate_instance(int(raw))


def split(size: int) -> tuple[int, int]:
    """(servers, clients) for a fleet size: one host is a lone server; otherwise a third are clients."""
    validate_size(size)
    if size == 1:
        return 1, 0
    clients = max(1, size // 3)
    return size - clients, clients


def subnet(instance: int) -> str:
    return f"198.18.{validate_instance(instance)}.0/24"


def gateway(instance: int) -> str:
    """The bridge's address in the machine's own namespace: how the controller reaches the hosts."""
    return f"198.18.{validate_instance(instance)}.1"


def bridge(instance: int) -> str:
    return f"fp{validate_instance(instance)}br"


def plan(size: int, instance: int) -> list[HostSpec]:
    """Every host of a fleet of this size, servers first."""
    validate_instance(instance)
    servers, clients = split(size)
    hosts = [HostSpec(f"srv{i}", SERVER_GROUP, instance, f"198.18.{instance}.{SERVER_FIRST_OCTET + i - 1}")
             for i in range(1, servers + 1)]
    hosts += [HostSpec(f"cli{i}", CLIENT_GROUP, instance, f"198.18.{instance}.{CLIENT_FIRST_OCTET + i - 1}")
              for i in range(1, clients + 1)]
    return hosts


def is_own_name(name: str, instance: int) -> bool:
    """True for a netns or link name this instance's fleet could have made (fp<N>-srv<k>, fp<N>-cli<k>)."""
    prefix = f"fp{instance}-"
    if not name.startswith(prefix):
        return False
    host = name[len(prefix):]
    kind, number = host[:3], host[3:]
    return kind in ("srv", "cli") and number.isdigit() and 1 <= int(number) <= MAX_SIZE
