"""Bring a lab instance up to a size, take it down, and report on it.

`up` converges: healthy hosts are left alone, half-made ones are cleaned and made again, hosts
beyond the size are removed. `down` removes everything the instance made, found both from its
state file and by the instance's own names, so it also cleans up after a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Iterator

from . import fleet, host, image, kvm_probe, mounts, net, paths, procs, ssh, vm, vm_image
from .errors import EXIT_BUSY, LabError
from .state import HostState, LabState
from .state import load as load_state
from .state import remove as remove_state
from .state import save as save_state


@contextlib.contextmanager
def locked(instance: int) -> Iterator[None]:
    """One lab command at a time per instance (molecule and tests may race on the same one)."""
    paths.STATE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(paths.STATE_ROOT / f".{instance}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another fastpath lab command on instance {instance}...", flush=True)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
            except KeyboardInterrupt as exc:
                raise LabError("gave up waiting for the lab lock", EXIT_BUSY) from exc
        yield


def up(size: int, instance: int, timeout: float = 90, kind: str = "netns",
       shape: vm.VmShape | None = None) -> LabState:
    """Bring the instance up; with kind "vm" its servers are QEMU VMs and its clients netns hosts."""
    fleet.validate_size(size)
    fleet.validate_instance(instance)
    lower = image.rootfs()  # a clear error now if the image is missing
    shape = shape or vm.VmShape()
    vm_dir = vm_image.require(shape.distro) if kind == "vm" else None
    ssh.ensure_keypair()
    accel = kvm_probe.accel(vm_dir / "vmlinuz") if vm_dir else ""
    with locked(instance):
        state = _load_or_recover(instance)
        old_image = state.image
        state.size, state.image = size, str(lower.parent)
        for hs in state.hosts.values():
            hs.image = hs.image or old_image  # state written before images were recorded per host
        wanted = fleet.plan(size, instance)
        for name in sorted(set(state.hosts) - {s.name for s in wanted}):
            print(f"{name}: beyond size {size}, removing", flush=True)
            _teardown(instance, state.hosts.pop(name))
            save_state(state)
        net.ensure_bridge(instance)
        for spec in wanted:
            recorded = state.hosts.get(spec.name)
            want_kind = "vm" if vm_dir and spec.group == fleet.SERVER_GROUP else "netns"
            if recorded and recorded.kind != want_kind:
                print(f"{spec.name}: is a {recorded.kind} host, wanted {want_kind}; making it again",
                      flush=True)
                _teardown(instance, state.hosts.pop(spec.name))
                save_state(state)
                recorded = None
            if recorded and want_kind == "vm":
                trouble = vm.problems(recorded)
                wanted_shape = (shape.vcpus, shape.memory, shape.nic_queues, str(vm_dir))
                if not trouble and (recorded.vcpus, recorded.memory, recorded.queues,
                                    recorded.image) != wanted_shape:
                    trouble = ["started with another shape or image"]
                if not trouble:
                    print(f"{spec.name}: already up ({spec.address}), left alone", flush=True)
                    continue
                print(f"{spec.name}: {'; '.join(trouble)}; making it again", flush=True)
                _teardown(instance, state.hosts.pop(spec.name))
                save_state(state)
                recorded = None
            if want_kind == "vm":
                if vm.leftovers(spec) or host.leftovers(spec):
                    print(f"{spec.name}: leftovers of an earlier run; cleaning them", flush=True)
                    _teardown_by_name(instance, spec)
                print(f"{spec.name}: starting VM ({spec.group}, {spec.address}, {accel}, "
                      f"{shape.vcpus} vCPUs, {shape.memory} MiB, {shape.nic_queues} queues)", flush=True)
                vm.create_tap(spec)
                state.hosts[spec.name] = vm.boot(spec, vm_dir, shape, accel, wanted)
                save_state(state)
                continue
            if recorded:
                trouble = host.problems(recorded)
                if not trouble:
                    print(f"{spec.name}: already up ({spec.address}), left alone", flush=True)
                    if (recorded.image or state.image) != str(lower.parent):
                        print(f"{spec.name}: runs on an older image; `fastpath lab down` and `up` again "
                              "to move it to the new one", flush=True)
                    host.write_hosts_file(host.host_dir(instance, spec.name) / "root", wanted)
                    continue
                print(f"{spec.name}: half up ({'; '.join(trouble)}); cleaning it and starting again",
                      flush=True)
                _teardown(instance, state.hosts.pop(spec.name))
                save_state(state)
            else:
                found = host.leftovers(spec) + vm.leftovers(spec)
                if found:
                    print(f"{spec.name}: leftovers of an earlier run ({', '.join(found)}); cleaning them",
                          flush=True)
                    _teardown_by_name(instance, spec)
            print(f"{spec.name}: starting ({spec.group}, {spec.address})", flush=True)
            net.create_host_net(spec)
            root = host.prepare_root(spec, lower, wanted)
            hs = host.boot(spec, root, lower.parent)
            state.hosts[spec.name] = hs
            save_state(state)
        # Hosts in plan order, so state, status and the inventory list servers first.
        state.hosts = {spec.name: state.hosts[spec.name] for spec in wanted}
        save_state(state)
        # Every host, not only the ones just started: a host left booting by an `up` that timed out
        # is healthy on paper but must answer before this `up` can say the lab is up.
        host.wait_for_ssh(list(state.hosts.values()), timeout)
        return state


def _load_or_recover(instance: int) -> LabState:
    """The recorded state; if it is damaged, say so and start from what is found by name."""
    try:
        state = load_state(instance)
    except LabError as err:
        print(f"warning: {err}; treating every host as half up", flush=True)
        state = None
    return state or LabState(instance=instance, size=0)


def _teardown(instance: int, hs: HostState) -> None:
    if hs.kind == "vm":
        vm.teardown(instance, hs.name, hs.veth, hs.pid, hs.pid_start)
    else:
        host.teardown(instance, hs.name, hs.netns, hs.veth, hs.pid, hs.pid_start)


def _teardown_by_name(instance: int, spec: fleet.HostSpec) -> None:
    """Whatever either kind of host left under this name (no state records it)."""
    vm.teardown(instance, spec.name, spec.veth)
    host.teardown(instance, spec.name, spec.netns, spec.veth)


def down(instance: int) -> list[str]:
    """Remove every host, the bridge and the state of an instance; returns the hosts removed."""
    fleet.validate_instance(instance)
    with locked(instance):
        state = _load_or_recover(instance)
        targets = dict(state.hosts)
        # Also whatever is found by name: a crash may have left pieces no state records.
        for spec in fleet.plan(fleet.MAX_SIZE, instance):
            if spec.name not in targets and (host.leftovers(spec) or vm.leftovers(spec)):
                targets[spec.name] = HostState.from_spec(spec)
        # SIGTERM every host at once so their shutdowns overlap, then clean each one.
        procs.terminate({hs.pid: hs.pid_start for hs in targets.values() if hs.pid})
        for name, hs in sorted(targets.items()):
            if hs.pid:
                _teardown(instance, hs)
            else:
                _teardown_by_name(instance, fleet.HostSpec(hs.name, hs.group, instance, hs.address))
            print(f"{name}: removed", flush=True)
        net.delete_bridge(instance)
        mounts.unmount_all_under(paths.instance_dir(instance))
        remove_state(instance)
        shutil.rmtree(paths.instance_dir(instance), ignore_errors=True)
        return sorted(targets)


def status(instance: int) -> list[dict]:
    """One record per host: the recorded fleet if up, else the default fleet shown as stopped."""
    fleet.validate_instance(instance)
    state = load_state(instance)
    if state is None:
        return [{"name": s.name, "group": s.group, "address": s.address, "netns": s.netns, "pid": None,
                 "running": False, "systemd": None, "ssh": False, "problems": ["lab is down"],
                 "kind": None, "accel": None, "vcpus": None, "queues": None}
                for s in fleet.plan(fleet.DEFAULT_SIZE, instance)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(_host_status, state.hosts.values()))


def _host_status(hs: HostState) -> dict:
    record = _probe(hs)
    record.update(kind=hs.kind, accel=hs.accel or None, vcpus=hs.vcpus or None, queues=hs.queues or None)
    if hs.kind == "vm":
        record["problems"] = vm.problems(hs)
    return record


def _probe(hs: HostState) -> dict:
    running = procs.alive(hs.pid, hs.pid_start)
    systemd = None
    reachable = False
    if running:
        proc = ssh.ssh(hs.address, ["systemctl", "is-system-running"], timeout=8)
        if proc is not None:
            reachable = True
            systemd = proc.stdout.strip() or "unknown"
    return {"name": hs.name, "group": hs.group, "address": hs.address, "netns": hs.netns, "pid": hs.pid,
            "running": running, "systemd": systemd, "ssh": reachable,
            "problems": [] if hs.kind == "vm" else host.problems(hs)}
