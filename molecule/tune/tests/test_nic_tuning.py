"""Verify role nic_tuning on a lab host's veth eth0 (4 rx/4 tx queues): the plan for 2 CPUs is one
channel, XPS of both CPUs on tx-0, no RPS; the prior values are in the snapshot; the flow hash,
which veth cannot do, changed nothing."""

import json

SNAPSHOT = "/var/lib/fastpath/snapshot.json"


def entries(host) -> dict:
    return json.loads(host.file(SNAPSHOT).content_string)["entries"]


def test_one_channel_per_irq_cpu(host):
    out = host.check_output("ethtool -l eth0").split("Current hardware settings:")[1]
    assert "RX:\t\t1" in out and "TX:\t\t1" in out
    queues = host.file("/sys/class/net/eth0/queues").listdir()
    assert sorted(queues) == ["rx-0", "tx-0"]


def test_xps_sends_from_both_cpus_on_queue_0(host):
    assert int(host.file("/sys/class/net/eth0/queues/tx-0/xps_cpus").content_string, 16) == 0b11


def test_rps_stays_off(host):
    assert int(host.file("/sys/class/net/eth0/queues/rx-0/rps_cpus").content_string, 16) == 0


def test_snapshot_holds_the_prior_channels_and_mask(host):
    snap = entries(host)
    assert snap["ethtool:eth0/channels"]["value"] == {"rx": 4, "tx": 4}
    assert "sysfs:eth0/tx-0/xps_cpus" in snap


def test_flow_hash_not_recorded_on_veth(host):
    # veth has no flow hash: reported as not applied, so nothing to record or restore
    assert "ethtool:eth0/rx_flow_hash" not in entries(host)
    assert "Operation not supported" in host.run("ethtool -n eth0 rx-flow-hash udp4").stderr


def test_installed_reapply_command_runs_from_its_zip_and_finds_nothing_to_change(host):
    # The command imports its module_utils from python.zip beside it: a module missing from the zip
    # would fail here with ModuleNotFoundError. Right after tuning, nothing has drifted.
    result = host.run("/usr/local/libexec/fastpath/fastpath-reapply --check eth0")
    assert result.rc == 0, result.stderr
    assert host.file("/usr/local/libexec/fastpath/python.zip").is_file
    assert not host.file("/usr/local/libexec/fastpath/python").exists
