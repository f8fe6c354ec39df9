"""Verify after preflight: the hosts are what fastpath needs, and preflight changed nothing on them."""

import json


def test_systemd_is_pid1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), state


def test_kernel_meets_the_minimum(host):
    major, minor = (int(x) for x in host.sysctl("kernel.osrelease").split(".")[:2])
    assert (major, minor) >= (5, 15)


def test_eth0_has_four_rx_and_tx_queues(host):
    queues = host.file("/sys/class/net/eth0/queues").listdir()
    assert sorted(q for q in queues if q.startswith("rx-")) == [f"rx-{i}" for i in range(4)]
    assert sorted(q for q in queues if q.startswith("tx-")) == [f"tx-{i}" for i in range(4)]


def test_preflight_left_nothing_behind(host):
    # no snapshot directory (preflight changes nothing), no XDP program left on the NIC by the probe
    assert not host.file("/var/lib/fastpath").exists
    link = json.loads(host.check_output("ip -j -d link show eth0"))[0]
    assert "xdp" not in link
