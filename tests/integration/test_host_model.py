"""nic_info / irq_info / cpu_info through Ansible on this machine's real / and on a veth in a netns.

Needs root (network namespaces, BPF). Takes ~20 s: each ansible call is ~3 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import host_trees
import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = REPO / ".venv" / "bin" / "ansible"
PYTHON = "/usr/bin/python3"  # the system python the targets use

pytestmark = pytest.mark.root


def ansible(module: str, args: str = "", *extra: str, netns: str | None = None) -> dict:
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
    )
    cmd = [
        str(ANSIBLE),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={PYTHON}",
        "-m",
        f"fastpath.host.{module}",
        "-a",
        args,
        *extra,
    ]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    return out["plays"][0]["tasks"][0]["hosts"]["localhost"]


def real_virtio_irqs(ifname: str) -> dict:
    """Independently of the module: virtioK of ifname, then its input/output IRQs from /proc/interrupts."""
    vdev = os.path.basename(os.readlink(f"/sys/class/net/{ifname}/device"))
    found = {}
    with open("/proc/interrupts") as f:
        for line in f:
            m = re.match(rf"^\s*(\d+):.*\s{vdev}-(input|output)\.(\d+)$", line.rstrip())
            if m:
                found[("rx" if m.group(2) == "input" else "tx", int(m.group(3)))] = int(m.group(1))
    return found


@pytest.mark.skipif(not os.path.exists("/sys/class/net/eth0/device"), reason="needs this lab's virtio eth0")
def test_nic_info_maps_the_real_virtio_irqs_to_eth0_queues():
    expected = real_virtio_irqs("eth0")
    assert expected, "this machine's eth0 has no virtio queue IRQs"
    result = ansible("nic_info", "interfaces=eth0")
    assert result["changed"] is False
    eth0 = result["interfaces"]["eth0"]
    assert eth0["driver"] == "virtio_net"
    got = {(kind, q["index"]): q["irq"] for kind in ("rx", "tx") for q in eth0["queues"][kind]}
    assert got == expected
    kinds = {i["irq"]: i["kind"] for i in eth0["irqs"]}
    assert all(kinds[irq] == kind for (kind, _index), irq in expected.items())
    assert set(eth0["msi_irqs"]) >= set(expected.values())


def test_irq_info_and_cpu_info_agree_with_the_kernel():
    irqs = ansible("irq_info", "", "--check")["irqs"]
    with open("/proc/interrupts") as f:
        numbered = {line.split(":")[0].strip() for line in f if line.split(":")[0].strip().isdigit()}
    assert numbered <= set(irqs)
    for n in numbered:
        with open(f"/proc/irq/{n}/smp_affinity_list") as f:
            assert irqs[n]["affinity"] == f.read().strip()
    cpus = ansible("cpu_info")["cpus"]
    with open("/sys/devices/system/cpu/online") as f:
        assert cpus["online"] == f.read().strip()
    assert cpus["count_online"] == os.cpu_count()


@pytest.fixture
def netns_veth(tmp_path):
    """A netns with a 4-queue veth pair (fphm<id>a inside, peer inside too); removed after."""
    ns = f"fphm{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(
            [
                "ip",
                "-n",
                ns,
                "link",
                "add",
                "hm0",
                "numrxqueues",
                "4",
                "numtxqueues",
                "4",
                "type",
                "veth",
                "peer",
                "name",
                "hm1",
            ],
            check=True,
        )
        subprocess.run(["ip", "-n", ns, "link", "set", "hm0", "up"], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "hm1", "up"], check=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def test_veth_in_netns_has_queues_and_no_irqs(netns_veth):
    result = ansible("nic_info", "", netns=netns_veth)
    nics = result["interfaces"]
    assert set(nics) == {"hm0", "hm1"}
    hm0 = nics["hm0"]
    # no device in sysfs (no msi_irqs, no IRQs); the driver name comes from `ethtool -i`
    assert hm0["driver"] == "veth" and hm0["irqs"] == [] and hm0["msi_irqs"] is None
    assert [q["index"] for q in hm0["queues"]["rx"]] == [0, 1, 2, 3]
    assert all(q["irq"] is None for q in hm0["queues"]["rx"])
    assert hm0["channels"]["max_rx"] == 4 and hm0["coalesce"] is None and hm0["coalesce_reason"]
    assert hm0["xdp"] == {"attached": False, "prog_id": None, "mode": None, "programs": []}


XDP_PASS_C = """
#include <linux/bpf.h>
__attribute__((section("xdp"), used)) int pass(struct xdp_md *ctx) { return XDP_PASS; }
char _license[] __attribute__((section("license"), used)) = "GPL";
"""


@pytest.mark.skipif(shutil.which("clang") is None, reason="needs clang to build an XDP program")
def test_xdp_attachment_is_reported_with_program_id_and_mode(netns_veth, tmp_path):
    src, obj = tmp_path / "pass.c", tmp_path / "pass.o"
    src.write_text(XDP_PASS_C)
    subprocess.run(
        [
            "clang",
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-I/usr/include/x86_64-linux-gnu",
            "-c",
            str(src),
            "-o",
            str(obj),
        ],
        check=True,
    )
    subprocess.run(
        ["ip", "-n", netns_veth, "link", "set", "dev", "hm0", "xdpdrv", "obj", str(obj), "sec", "xdp"],
        check=True,
    )
    prog_id = json.loads(
        subprocess.run(
            ["ip", "-n", netns_veth, "-j", "-d", "link", "show", "hm0"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )[0]["xdp"]["prog"]["id"]
    nics = ansible("nic_info", "interfaces=hm0,hm1", netns=netns_veth)["interfaces"]
    assert nics["hm0"]["xdp"]["attached"] is True
    assert nics["hm0"]["xdp"]["mode"] == "native" and nics["hm0"]["xdp"]["prog_id"] == prog_id
    assert nics["hm1"]["xdp"]["attached"] is False


def test_fixture_root_and_bad_input_through_ansible():
    tree = host_trees.tree("mlx5")
    nics = ansible("nic_info", f"root={tree} interfaces=ens1f0np0")["interfaces"]
    assert [q["irq"] for q in nics["ens1f0np0"]["queues"]["rx"]] == [27, 28, 29, 30]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run(
        [
            str(ANSIBLE),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={PYTHON}",
            "-m",
            "fastpath.host.nic_info",
            "-a",
            "irq_cpus=5-2",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "irq_cpus: range '5-2' runs backwards" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
