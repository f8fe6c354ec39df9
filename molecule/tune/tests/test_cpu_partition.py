"""Verify role cpu_partition on a 2-CPU lab host (docs/tuning.md, "the 2-CPU lab host"): the worker
CPU is 1, fastpath.slice confines the dataplane to it, irqbalance is stopped and disabled, and the
prior irqbalance state is in the snapshot."""

import json

SNAPSHOT = "/var/lib/fastpath/snapshot.json"


def entries(host) -> dict:
    return json.loads(host.file(SNAPSHOT).content_string)["entries"]


def test_host_is_the_two_cpu_case_the_expectations_are_for(host):
    assert host.check_output("nproc --all") == "2"


def test_slice_allows_only_the_worker_cpu(host):
    f = host.file("/etc/systemd/system/fastpath.slice")
    assert f.exists and f.mode == 0o644
    assert "AllowedCPUs=1" in f.content_string.splitlines()
    assert host.check_output("systemctl show -p AllowedCPUs --value fastpath.slice") == "1"


def test_irqbalance_stopped_and_disabled(host):
    assert host.run("systemctl is-active --quiet irqbalance").rc != 0
    assert host.run("systemctl is-enabled --quiet irqbalance").rc != 0


def test_snapshot_holds_prior_irqbalance_and_slice_state(host):
    snap = entries(host)
    assert snap["service:irqbalance.service"]["value"]["present"] is True
    # the slice did not exist before fastpath: restore removes it
    assert snap["file:/etc/systemd/system/fastpath.slice"]["value"]["exists"] is False
