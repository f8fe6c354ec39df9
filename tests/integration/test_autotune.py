"""playbooks/autotune.yml on the 3-host lab: a real sweep on srv1 judged by real smoke runs.

The fleet is brought up and site.yml run once (tuned, server on srv1/srv2, load generator on cli1).
The sweep is kept short (queue depth 256/1024, RPS off/on: 3 trials of ~30-60 s), run through
`fastpath.runner` with a copy of the lab inventory in a temporary directory, so the host_vars file it
writes never lands in the repository. Then a second run with a 1 s budget must stop after the
baseline. ~12 min.

The lab instance is the integration tests' (2) unless FASTPATH_TEST_LAB_INSTANCE names another;
it is taken down before and after, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fastpath import runner

pytestmark = pytest.mark.lab
INSTANCE = int(os.environ.get("FASTPATH_TEST_LAB_INSTANCE", "2"))
SSH_KEY = "/var/lib/fastpath-lab/ssh/id_ed25519"
SHORT_SWEEP = {"autotune_queue_depths": [256, 1024], "autotune_batches": [64],
               "autotune_sndbufs": [4194304], "autotune_rps": [False, True]}
KNOBS = {"dataplane_queue_depth", "dataplane_batch", "dataplane_sndbuf", "cpu_partition_rps"}


def lab(*args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "fastpath.cli", "lab", *args, "--instance", str(INSTANCE)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=runner.REPO, check=False)


def on_host(address: str, command: str) -> str:
    argv = ["ssh", "-i", SSH_KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@{address}", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout


def stdout_of(artifacts: Path) -> str:
    return "".join(p.read_text() for p in artifacts.glob("artifacts/*/stdout"))


@pytest.fixture(scope="module")
def inventory(lab_image, monkeypatch_module, tmp_path_factory):
    """The lab up with site.yml run on it; a copy of the lab inventory (plugin config and group_vars)."""
    monkeypatch_module.setenv("FASTPATH_LAB_INSTANCE", str(INSTANCE))  # the lab inventory reads it
    copy = tmp_path_factory.mktemp("inventory") / "lab"
    shutil.copytree(runner.REPO / "inventories/lab", copy, ignore=shutil.ignore_patterns("host_vars"))
    lab("down")
    try:
        up = lab("up", "--size", "3")
        assert up.returncode == 0, up.stderr
        # the whole site first, as an operator would: tune sets the NIC's channels before XDP attaches
        # (a veth with XDP attached refuses `ethtool -L`), and autotune then only changes RPS masks
        site = runner.run("site", inventory=str(copy), quiet=True,
                          artifact_dir=str(tmp_path_factory.mktemp("site")))
        assert site.failed_hosts == [] and site.rc == 0, site.table()
        yield copy
    finally:
        lab("down")


def autotune(inventory: Path, results: Path, artifacts: Path, **extra) -> runner.RunSummary:
    return runner.run("autotune", inventory=str(inventory), quiet=True, artifact_dir=str(artifacts),
                      extravars={**SHORT_SWEEP, "autotune_results_dir": str(results), **extra})


@pytest.fixture(scope="module")
def sweep(inventory, tmp_path_factory):
    results, artifacts = tmp_path_factory.mktemp("results"), tmp_path_factory.mktemp("sweep")
    summary = autotune(inventory, results, artifacts)
    [record] = results.glob("*-autotune-srv1.json")
    return summary, json.loads(record.read_text()), stdout_of(artifacts)


def test_the_sweep_is_green_and_touches_only_the_chosen_server(sweep):
    summary, record, _stdout = sweep
    assert summary.failed_hosts == [] and summary.rc == 0, summary.table()
    assert record["server"] == "srv1"
    assert {t["result"]["server"] for t in record["trials"]} == {"srv1"}


def test_every_trial_is_a_real_smoke_run_in_sweep_order(sweep):
    _summary, record, _stdout = sweep
    trials = record["trials"]
    assert [t["knob"] for t in trials] == ["baseline", "dataplane_queue_depth", "cpu_partition_rps"]
    assert trials[0]["config"] == {"dataplane_queue_depth": 1024, "dataplane_batch": 64,
                                   "dataplane_sndbuf": 4194304, "cpu_partition_rps": False}
    for trial in trials:
        assert trial["result"]["label"] == "autotune" and trial["result"]["load"]["sent"] > 0, trial
        assert trial["seconds"] > 5  # at least the 5 s of load
    assert record["stop"] == "every candidate value was tried"


def test_the_best_is_kept_in_host_vars_and_running_on_the_server(sweep, inventory):
    _summary, record, stdout = sweep
    written = yaml.safe_load((inventory / "host_vars/srv1/autotune.yml").read_text())
    assert written == record["best"] and set(written) == KNOBS
    assert written in [t["config"] for t in record["trials"]]
    conf = on_host(f"198.18.{INSTANCE}.11", "cat /etc/fastpath/server.conf")
    assert f"queue_depth = {written['dataplane_queue_depth']}" in conf
    # the table of what was tried, each trial on one line, the best marked
    assert "Autotune of srv1: 3 trials" in stdout and stdout.count("<- best") == 1
    # the inventory now gives srv1 the chosen settings
    env = {**os.environ, "ANSIBLE_CONFIG": str(runner.REPO / "ansible.cfg")}
    shown = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(inventory),
                            "--host", "srv1"], capture_output=True, text=True, timeout=120, check=True,
                           cwd=runner.REPO, env=env)
    assert {k: json.loads(shown.stdout)[k] for k in KNOBS} == written


def test_a_tiny_budget_stops_after_the_baseline(sweep, inventory, tmp_path_factory):
    results = tmp_path_factory.mktemp("budget-results")
    summary = autotune(inventory, results, tmp_path_factory.mktemp("budget"), autotune_budget_s=1)
    assert summary.failed_hosts == [], summary.table()
    [path] = results.glob("*-autotune-srv1.json")
    record = json.loads(path.read_text())
    assert len(record["trials"]) == 1 and record["stop"].startswith("time budget: "), record["stop"]
