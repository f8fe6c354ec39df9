"""Shared helpers for the integration tests: run `fastpath lab`, and find what a lab instance left behind.

Integration tests use lab instance 2 (198.18.2.0/24), or the one FASTPATH_TEST_LAB_INSTANCE names (so
two clones can test side by side), so they never disturb the demo lab (0) or
molecule's (1). They need root and the lab image (`fastpath lab image`, built on first use).

Under pytest-xdist (scripts/test.sh runs two workers, `--dist loadfile`: a module's tests stay in
order on one worker), worker gwK takes the K-th instance of FASTPATH_TEST_LAB_INSTANCES ("2,3"): it
is set as that worker's FASTPATH_TEST_LAB_INSTANCE before any test module reads it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fastpath.lab import cgroups, mounts, net, paths, procs

REPO = Path(__file__).resolve().parents[2]


def _worker_instance() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    instances = [int(i) for i in os.environ.get("FASTPATH_TEST_LAB_INSTANCES", "2,3").split(",")]
    index = int(worker.removeprefix("gw"))
    if index >= len(instances):
        raise RuntimeError(f"pytest-xdist worker {worker} has no lab instance: FASTPATH_TEST_LAB_INSTANCES"
                           f" names {len(instances)} ({instances}); run at most that many workers")
    os.environ["FASTPATH_TEST_LAB_INSTANCE"] = str(instances[index])


_worker_instance()
LAB_INSTANCE = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="lab tests need root (network namespaces, mounts, systemd-nspawn)")
        for item in items:
            if "lab" in item.keywords:
                item.add_marker(skip)


def fastpath_lab(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `fastpath lab ARGS` as the operator would, output captured."""
    argv = [sys.executable, "-m", "fastpath.cli", "lab", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})}, check=False)


def lab_ansible(tool: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`TOOL -i inventories/lab ARGS` (ansible, ansible-playbook...) from the clone, as the operator
    runs it, against this test's lab instance; it must succeed."""
    proc = subprocess.run([str(REPO / ".venv/bin" / tool), "-i", "inventories/lab", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=timeout, check=False,
                          env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                               "FASTPATH_LAB_INSTANCE": str(LAB_INSTANCE)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def leftovers(instance: int) -> list[str]:
    """Everything of a lab instance that still exists on the machine: namespaces, links (veths, taps,
    bridge), mounts, nspawn and QEMU processes, disks and state. Empty means the instance is fully gone."""
    found = [f"netns {n}" for n in net.own_netns(instance)]
    found += [f"link {n}" for n in net.own_links(instance)]
    found += [f"mount {m}" for m in mounts.mounted_under(paths.instance_dir(instance))]
    found += [f"nspawn PID {p}" for p in procs.find_by_cmdline("systemd-nspawn",
                                                               f"--directory={paths.instance_dir(instance)}/")]
    found += [f"QEMU PID {p}" for p in procs.find_by_cmdline("qemu-system-x86_64",
                                                             f"{paths.instance_dir(instance)}/")]
    if paths.instance_dir(instance).exists():
        found.append(f"directory {paths.instance_dir(instance)}")
    found += [f"cgroup {d}" for h in cgroups.hierarchies()
              for d in (h / cgroups.PARENT).glob(f"fp{instance}-*")]
    return found


def processes_in_netns(netns: str) -> dict[int, int]:
    """PID -> start time of every process in the named network namespace (the host's systemd, sshd,
    journald ...), so a test can check they are all gone after `down`."""
    return procs.in_netns(net.NETNS_DIR / netns)


@pytest.fixture(scope="session")
def lab_image():
    """The lab image, built if missing (minutes the first time, a second once cached)."""
    proc = fastpath_lab("image", timeout=1800)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def clean_lab_instance(lab_image):
    """Instance LAB_INSTANCE down before the module's tests and down again after, whatever happened."""
    fastpath_lab("down", "--instance", str(LAB_INSTANCE))
    assert leftovers(LAB_INSTANCE) == []
    yield LAB_INSTANCE
    fastpath_lab("down", "--instance", str(LAB_INSTANCE))


@pytest.fixture(scope="module")
def monkeypatch_module():
    """monkeypatch for a module's fixtures (FASTPATH_LAB_INSTANCE for the runner), undone after it."""
    with pytest.MonkeyPatch.context() as mp:
        yield mp


class LabTools:
    """The helpers above, handed to tests as a fixture (test modules cannot import a conftest)."""

    repo = REPO
    instance = LAB_INSTANCE
    run = staticmethod(fastpath_lab)
    ansible = staticmethod(lab_ansible)
    leftovers = staticmethod(leftovers)
    processes_in_netns = staticmethod(processes_in_netns)


@pytest.fixture(scope="module")
def lab_tools(clean_lab_instance) -> LabTools:
    return LabTools()
