"""The VM tier of the lab for real: bad input refused, up (2 QEMU VMs + a netns load client), SSH,
vCPUs and queue IRQs inside, status, inventory, a guest reboot that comes back as the same VM, and
`down` leaving nothing behind. Runs in test.sh's `vm` stage; times on TCG are never asserted.

The tests run in file order on one fleet; the last one takes it down.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import pytest

from fastpath.lab import fleet, paths, procs, state

pytestmark = [pytest.mark.lab, pytest.mark.vm]

N = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))
SRV1, SRV2, CLI1 = f"198.18.{N}.11", f"198.18.{N}.12", f"198.18.{N}.101"
VCPUS = 4
SSH = ["ssh", "-i", str(paths.SSH_KEY), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
       "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]


def on_host(address: str, *command: str, timeout: float = 60) -> str:
    proc = subprocess.run([*SSH, f"root@{address}", "--", *command], capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, f"{command} on {address}: {proc.stderr}"
    return proc.stdout.strip()


def vm_image_built(lab_tools) -> None:
    proc = lab_tools.run("image", "--kind", "vm", timeout=3600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(("flags", "message"), [
    (["--vcpus", "0"], "--vcpus must be between 1 and"),
    (["--memory", "10"], "--memory must be between 512 and"),
    (["--queues", "0"], "--queues must be between 1 and"),
    (["--distro", "sid"], "unknown distro 'sid'"),
])
def test_bad_vm_input_is_a_clear_error_that_changes_nothing(lab_tools, flags, message):
    proc = lab_tools.run("up", "--kind", "vm", "--instance", str(lab_tools.instance), *flags)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert lab_tools.leftovers(lab_tools.instance) == []


def test_up_brings_two_vm_servers_and_a_netns_client(lab_tools):
    vm_image_built(lab_tools)
    started = time.monotonic()
    proc = lab_tools.run("up", "--kind", "vm", "--instance", str(lab_tools.instance), timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f"vm fleet up in {time.monotonic() - started:.0f} s")
    lab = state.load(lab_tools.instance)
    kinds = [(h.name, h.kind) for h in lab.hosts.values()]
    assert kinds == [("srv1", "vm"), ("srv2", "vm"), ("cli1", "netns")]
    for hs in lab.hosts.values():
        if hs.kind == "vm":
            assert procs.alive(hs.pid, hs.pid_start)
            assert (hs.vcpus, hs.memory, hs.queues) == (VCPUS, 1536, VCPUS)
            assert hs.accel in ("kvm", "tcg")


def test_status_says_accelerator_vcpus_queues_and_ssh(lab_tools):
    proc = lab_tools.run("status", "--instance", str(lab_tools.instance), "--json")
    assert proc.returncode == 0, proc.stderr
    hosts = {h["name"]: h for h in json.loads(proc.stdout)["hosts"]}
    for name in ("srv1", "srv2"):
        assert hosts[name]["kind"] == "vm" and hosts[name]["accel"] in ("kvm", "tcg")
        assert (hosts[name]["vcpus"], hosts[name]["queues"], hosts[name]["ssh"]) == (VCPUS, VCPUS, True)
        assert hosts[name]["problems"] == []
    assert hosts["cli1"]["kind"] == "netns" and hosts["cli1"]["ssh"] is True
    table = lab_tools.run("status", "--instance", str(lab_tools.instance)).stdout
    assert re.search(rf"^srv1 .* vm/(kvm|tcg)\s+{VCPUS}\s+{VCPUS}$", table, re.MULTILINE), table


def test_each_vm_has_its_vcpus_its_name_and_its_own_host_keys(lab_tools):
    assert on_host(SRV1, "nproc") == str(VCPUS)
    assert on_host(SRV1, "hostname") == "srv1" and on_host(SRV2, "hostname") == "srv2"
    keys = {on_host(a, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").split()[1] for a in (SRV1, SRV2)}
    assert len(keys) == 2, "the two VMs share a host key"
    # The client reaches both servers over the bridge by name.
    on_host(CLI1, "ping", "-c", "1", "-W", "5", "srv1")
    on_host(CLI1, "ping", "-c", "1", "-W", "5", "srv2")


def test_every_queue_has_its_own_msi_irqs(lab_tools):
    interrupts = on_host(SRV1, "cat", "/proc/interrupts")
    for q in range(VCPUS):
        assert re.search(rf"PCI-MSI.*virtio\d+-input\.{q}$", interrupts, re.MULTILINE), interrupts
        assert re.search(rf"PCI-MSI.*virtio\d+-output\.{q}$", interrupts, re.MULTILINE), interrupts
    assert nic_name(SRV1) == "eth0"  # the roles' default interface, as on a netns host
    assert f"Combined:\t{VCPUS}" in on_host(SRV1, "ethtool", "-l", "eth0")


def nic_name(address: str) -> str:
    """The VM's virtio-net NIC: the one link with the MAC the lab gave it (its name is udev's choice)."""
    mac = next(h.mac for h in fleet.plan(3, N) if h.address == address)
    links = json.loads(on_host(address, "ip", "-j", "link", "show"))
    return next(link["ifname"] for link in links if link.get("address") == mac)


def test_the_inventory_says_which_hosts_are_vms(lab_tools):
    proc = subprocess.run([str(lab_tools.repo / ".venv/bin/ansible-inventory"), "-i", "inventories/lab",
                           "--list"], capture_output=True, text=True, cwd=lab_tools.repo, timeout=60,
                          env={**os.environ, "FASTPATH_LAB_INSTANCE": str(lab_tools.instance)}, check=False)
    assert proc.returncode == 0, proc.stderr
    hostvars = json.loads(proc.stdout)["_meta"]["hostvars"]
    # ansible-inventory marks strings from plugins as unsafe ({"__ansible_unsafe": "..."}).
    kinds = {name: hostvars[name]["fastpath_lab_kind"] for name in ("srv1", "srv2", "cli1")}
    kinds = {name: v["__ansible_unsafe"] if isinstance(v, dict) else v for name, v in kinds.items()}
    assert kinds == {"srv1": "vm", "srv2": "vm", "cli1": "netns"}
    ping = subprocess.run([str(lab_tools.repo / ".venv/bin/ansible"), "-i", "inventories/lab", "all", "-m",
                           "ansible.builtin.ping"], capture_output=True, text=True, cwd=lab_tools.repo,
                          timeout=300, env={**os.environ, "FASTPATH_LAB_INSTANCE": str(lab_tools.instance)},
                          check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr


def test_a_guest_reboot_brings_the_same_vm_back(lab_tools):
    before = state.load(lab_tools.instance).hosts["srv1"]
    boot_id = on_host(SRV1, "cat", "/proc/sys/kernel/random/boot_id")
    key = on_host(SRV1, "cat", "/etc/ssh/ssh_host_ed25519_key.pub")
    on_host(SRV1, "touch", "/root/survives-reboot")
    subprocess.run([*SSH, f"root@{SRV1}", "--", "systemctl", "reboot"], capture_output=True, timeout=30,
                   check=False)
    deadline = time.monotonic() + 420
    new_id = boot_id
    while time.monotonic() < deadline and new_id == boot_id:
        time.sleep(3)
        proc = subprocess.run([*SSH, f"root@{SRV1}", "--", "cat", "/proc/sys/kernel/random/boot_id"],
                              capture_output=True, text=True, timeout=20, check=False)
        if proc.returncode == 0:
            new_id = proc.stdout.strip()
    assert new_id != boot_id, "srv1 did not come back from its reboot within 420 s"
    assert procs.alive(before.pid, before.pid_start), "QEMU did not stay up across the guest reboot"
    # Same disk (the file survived), same host key, same address (we just reached it there).
    on_host(SRV1, "test", "-f", "/root/survives-reboot")
    assert on_host(SRV1, "cat", "/etc/ssh/ssh_host_ed25519_key.pub") == key


def test_down_leaves_no_qemu_tap_disk_or_state(lab_tools):
    lab = state.load(lab_tools.instance)
    vms = [hs for hs in lab.hosts.values() if hs.kind == "vm"]
    proc = lab_tools.run("down", "--instance", str(lab_tools.instance))
    assert proc.returncode == 0, proc.stderr
    for hs in vms:
        assert not procs.alive(hs.pid, hs.pid_start), f"QEMU of {hs.name} still runs"
        assert not os.path.exists(hs.disk)
        assert subprocess.run(["ip", "link", "show", "dev", hs.veth], capture_output=True,
                              check=False).returncode != 0, f"tap {hs.veth} is left"
    assert procs.find_by_cmdline("qemu-system-x86_64", f"{paths.instance_dir(lab_tools.instance)}/") == []
    assert lab_tools.leftovers(lab_tools.instance) == []
