"""Preflight against this machine itself (root, local connection): the verdicts and their messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("inv") / "hosts.yml"
    path.write_text(
        "dataplane_servers:\n  hosts:\n    localhost:\n"
        "      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n"
    )
    return path


def preflight(inventory: Path, *extra: str) -> subprocess.CompletedProcess:
    if os.geteuid() != 0:
        pytest.skip("preflight probes XDP, which needs root")
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
            "playbooks/preflight.yml", *extra]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=env, timeout=300, check=False)


def test_this_machine_passes_and_the_summary_shows_its_nic(inventory):
    proc = preflight(inventory)
    assert proc.returncode == 0, proc.stdout[-3000:]
    row = next(line for line in proc.stdout.splitlines() if line.strip().startswith("localhost "))
    assert " ok " in row and "yes" in row
    # This machine's NIC: one rx and one tx queue, and virtio_net runs XDP in the driver.
    assert "eth0[virtio_net] 1/1 native" in row
    assert "changed=0" in proc.stdout


def test_a_kernel_below_the_minimum_fails_with_the_versions(inventory):
    proc = preflight(inventory, "-e", "preflight_min_kernel=99.0")
    assert proc.returncode != 0
    assert f"Kernel {os.uname().release} is older than 99.0" in proc.stdout
    assert "FAILED" in proc.stdout  # and the summary still lists the host, as failed


def test_a_malformed_minimum_is_refused_before_any_probe(inventory):
    proc = preflight(inventory, "-e", "preflight_min_kernel=five")
    assert proc.returncode != 0
    assert 'preflight_min_kernel must be a version such as "5.15"; got "five"' in proc.stdout
    assert "Probe the kernel" not in proc.stdout
