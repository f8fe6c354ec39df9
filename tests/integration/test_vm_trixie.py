"""site.yml on a Debian 13 (trixie) VM: one VM server with 4 vCPUs and a 4-queue NIC, plus the netns
load client (Debian 12); and its kernel's own declaration of virtio_net's XDP features, which
Debian 12's kernel cannot give. Times on TCG are never asserted.

Marked vm_long (`scripts/test.sh vm-long`): site.yml builds native/ inside the TCG VM, which takes
longer than CI's VM stage has room for."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from fastpath import runner
from fastpath.lab import paths

pytestmark = [pytest.mark.lab, pytest.mark.vm, pytest.mark.vm_long]

N = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))
SRV1 = f"198.18.{N}.11"
# A load a TCG VM serves (test_vm_fleet.py says why); the smoke gates are the role's own.
SMOKE_RATE = 1000


@pytest.fixture(scope="module")
def trixie_site(lab_tools, tmp_path_factory):
    proc = lab_tools.run("image", "--kind", "vm", "--distro", "trixie", timeout=3600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = lab_tools.run("up", "--kind", "vm", "--distro", "trixie", "--size", "2",
                         "--instance", str(lab_tools.instance), timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = tmp_path_factory.mktemp("trixie-runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FASTPATH_LAB_INSTANCE", str(lab_tools.instance))
        return runner.run("site", quiet=True, artifact_dir=str(tmp_path_factory.mktemp("trixie-site")),
                          extravars={"report_dir": str(runs), "smoke_test_results_dir": str(runs),
                                     "smoke_test_rate_pps": SMOKE_RATE})


def test_the_vm_runs_debian_13(trixie_site):
    argv = ["ssh", "-i", str(paths.SSH_KEY), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@{SRV1}", "--",
            "cat", "/etc/debian_version"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("13"), proc.stdout + proc.stderr


def test_debian_13s_kernel_declares_native_xdp_for_virtio_net(trixie_site, lab_tools):
    # Linux 6.12 has the netdev netlink family: the mode is the driver's declaration, not the list's.
    proc = lab_tools.ansible("ansible", "srv1", "-m", "fastpath.host.xdp_features", "-o")
    result = json.loads(proc.stdout.split("=>", 1)[1])
    assert result.get("reason") is None, result
    eth0 = result["interfaces"]["eth0"]
    assert eth0["xdp_mode"] == "native" and "basic" in eth0["xdp_features"], eth0


def test_site_is_green_on_a_debian_13_vm(trixie_site):
    assert trixie_site.failed_hosts == [], trixie_site.table()
    assert set(trixie_site.hosts) >= {"srv1", "cli1"}
    assert trixie_site.rc == 0
