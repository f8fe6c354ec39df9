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

from . import fleet, host, image, mounts, net, paths, procs, ssh
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


def up(size: int, instance: int, timeout: float = 90) -> LabState:
    fleet.validate_size(size)
    fleet.validate_instance(instance)
    lower = image.rootfs()  # a clear error now if the image is missing
    ssh.ensure_keypair()
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
                found = host.leftovers(spec)
                if found:
                    print(f"{spec.name}: leftovers of an earlier run ({', '.join(found)}); cleaning them",
                          flush=True)
                    host.teardown(instance, spec.name, spec.netns, spec.veth)
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
    host.teardown(instance, hs.name, hs.netns, hs.veth, hs.pid, hs.pid_start)


def down(instance: int) -> list[str]:
    """Remove every host, the bridge and the state of an instance; returns the hosts removed."""
    fleet.validate_instance(instance)
    with locked(instance):
        state = _load_or_recover(instance)
        targets: dict[str, tuple[str, str, int, int]] = {
            hs.name: (hs.netns, hs.veth, hs.pid, hs.pid_start) for hs in state.hosts.values()}
        # Also whatever is found by name: a crash may have left pieces no state records.
        for spec in fleet.plan(fleet.MAX_SIZE, instance):
            if spec.name not in targets and host.leftovers(spec):
                targets[spec.name] = (spec.netns, spec.veth, 0, 0)
        # SIGTERM every host at once so their shutdowns overlap, then clean each one.
        procs.terminate({pid: start for (_netns, _veth, pid, start) in targets.values() if pid})
        for name, (netns, veth, pid, start) in sorted(targets.items()):
            host.teardown(instance, name, netns, veth, pid, start)
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
                 "running": False, "systemd": None, "ssh": False, "problems": ["lab is down"]}
                for s in fleet.plan(fleet.DEFAULT_SIZE, instance)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(_host_status, state.hosts.values()))


def _host_status(hs: HostState) -> dict:
    running = procs.alive(hs.pid, hs.pid_start)
    systemd = None
    reachable = False
    if running:
        proc = ssh.ssh(hs.address, ["systemctl", "is-system-running"], timeout=8)
        if proc is not None:
            reachable = True
            systemd = proc.stdout.strip() or "unknown"
    return {"name": hs.name, "group": hs.group, "address": hs.address, "netns": hs.netns, "pid": hs.pid,
            "running": running, "systemd": systemd, "ssh": reachable, "problems": host.problems(hs)}
