"""`fastpath lab image|up|down|status`: build the lab image and manage the lab fleet."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import fleet
from .errors import EXIT_USAGE, LabError

KINDS = ("netns", "vm")
# Two TCG VMs booting side by side on two busy cores take minutes, not seconds (5 measured with
# other test runs on both cores).
DEFAULT_TIMEOUT = {"netns": 90.0, "vm": 600.0}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="lab_command", required=True)
    image = sub.add_parser("image", help="build the cached Debian 12 image lab hosts boot from")
    image.add_argument("--rebuild", action="store_true", help="build again even if the image is cached")
    kind_help = "netns: systemd-nspawn hosts in namespaces; vm: QEMU VMs as servers (default netns)"
    image.add_argument("--kind", choices=KINDS, default="netns", help=kind_help)
    image.add_argument("--distro", default=None, help="VM image distro: bookworm (default) or trixie")
    instance_help = (f"which lab, 0-{fleet.MAX_INSTANCE}: subnet 198.18.N.0/24 "
                     f"(default: ${fleet.INSTANCE_ENV} or 0)")
    up = sub.add_parser("up", help="bring the lab fleet up (hosts already up are left alone)")
    up.add_argument("--size", type=int, default=fleet.DEFAULT_SIZE,
                    help=f"number of hosts, 1-{fleet.MAX_SIZE} (default {fleet.DEFAULT_SIZE}; with --kind vm "
                    "the servers are VMs and the clients netns hosts)")
    up.add_argument("--timeout", type=float, default=None,
                    help="seconds to wait for sshd on the hosts (default 90, or 600 with --kind vm)")
    up.add_argument("--kind", choices=KINDS, default="netns", help=kind_help)
    up.add_argument("--vcpus", type=int, default=4, help="vCPUs of each VM (default 4)")
    up.add_argument("--memory", type=int, default=1536, help="MiB of memory of each VM (default 1536)")
    up.add_argument("--queues", type=int, default=None, help="virtio-net queues of each VM (default: vCPUs)")
    up.add_argument("--distro", default=None, help="VM distro: bookworm (default) or trixie")
    down = sub.add_parser("down", help="remove every host, veth, bridge, namespace and mount of the lab")
    status = sub.add_parser("status", help="show each host: address, PID, systemd state, ssh")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for p in (up, down, status):
        p.add_argument("--instance", type=int, default=None, help=instance_help)


def run(args: argparse.Namespace) -> int:
    try:
        return _dispatch(args)
    except LabError as err:
        print(f"fastpath lab: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("fastpath lab: interrupted; `fastpath lab down` cleans up whatever was started",
              file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from . import image, lab

    # Input first, so a bad size or instance is reported the same with or without root.
    if args.lab_command != "image":
        instance = (fleet.instance_from_env() if args.instance is None
                    else fleet.validate_instance(args.instance))
    shape = None
    if args.lab_command in ("image", "up") and (args.kind == "vm" or args.distro is not None):
        from . import vm, vm_image

        if args.kind != "vm":
            raise LabError("--distro is for VMs: add --kind vm", EXIT_USAGE)
        distro = vm_image.validate_distro(args.distro or vm_image.DEFAULT_DISTRO)
        if args.lab_command == "up":
            shape = vm.validate_shape(args.vcpus, args.memory, args.queues)
            shape = vm.VmShape(shape.vcpus, shape.memory, shape.queues, distro)
    if args.lab_command == "up":
        fleet.validate_size(args.size)
        if args.timeout is None:
            args.timeout = DEFAULT_TIMEOUT[args.kind]
        if args.timeout <= 0:
            raise LabError(f"--timeout must be positive, got {args.timeout}", EXIT_USAGE)
    if args.lab_command in ("image", "up", "down") and os.geteuid() != 0:
        raise LabError(f"`fastpath lab {args.lab_command}` needs root (namespaces, mounts, systemd-nspawn)",
                       EXIT_USAGE)
    if args.lab_command == "image":
        if args.kind == "vm":
            from . import vm_image

            vm_image.build(args.distro or vm_image.DEFAULT_DISTRO, rebuild=args.rebuild,
                           in_use=_images_in_use())
        else:
            image.build(rebuild=args.rebuild, in_use=_images_in_use())
        return 0
    if args.lab_command == "up":
        lab.up(args.size, instance, args.timeout, kind=args.kind, shape=shape)
        _print_table(lab.status(instance))
        return 0
    if args.lab_command == "down":
        removed = lab.down(instance)
        print(f"lab instance {instance} is down" + (f" ({len(removed)} hosts removed)" if removed else ""))
        return 0
    if args.lab_command == "status":
        records = lab.status(instance)
        if args.json:
            print(json.dumps({"instance": instance, "hosts": records}, indent=2))
        else:
            _print_table(records)
        return 0
    raise LabError(f"unknown lab command {args.lab_command!r}", EXIT_USAGE)


def _images_in_use() -> dict[str, list[int]]:
    """Image directory -> the lab instances whose hosts run on it."""
    from .state import load

    users: dict[str, list[int]] = {}
    for instance in range(fleet.MAX_INSTANCE + 1):
        try:
            state = load(instance)
        except LabError:
            continue
        for image in {hs.image or state.image for hs in state.hosts.values()} if state else ():
            users.setdefault(image, []).append(instance)
    return users


def _kind(record: dict) -> str:
    """netns, or vm/kvm or vm/tcg: which accelerator a VM runs on matters for reading its times."""
    if record.get("kind") == "vm":
        return f"vm/{record.get('accel') or '?'}"
    return record.get("kind") or "-"


def _print_table(records: list[dict]) -> None:
    header = ("HOST", "GROUP", "ADDRESS", "NETNS", "PID", "RUNNING", "SYSTEMD", "SSH", "KIND", "VCPUS",
              "QUEUES")
    rows = [header] + [(r["name"], r["group"], r["address"], r["netns"] or "-", str(r["pid"] or "-"),
                        "yes" if r["running"] else "no", r["systemd"] or "-", "yes" if r["ssh"] else "no",
                        _kind(r), str(r.get("vcpus") or "-"), str(r.get("queues") or "-"))
                       for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for r in records:
        for problem in r["problems"]:
            if problem != "lab is down":
                print(f"{r['name']}: {problem}")
    if records and records[0]["problems"] == ["lab is down"]:
        print("the lab is down; `fastpath lab up` brings it up")
