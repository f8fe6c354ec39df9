"""The preflight summary fact and the one-screen table, from module results of the shapes returned."""

from ansible_collections.fastpath.host.plugins.filter.preflight import preflight_summary, preflight_table

KERNEL_OK = {
    "release": "6.1.0-18-amd64", "meets_min_kernel": True, "systemd_pid1": True,
    "io_uring": {"usable": True, "reason": "ok"}, "xdp": {"usable": True, "reason": "ok"},
}
CPU = {"cpus": {"online": "0-3", "count_online": 4}}
NIC = {"interfaces": {"eth0": {"driver": "veth", "numa_node": -1, "irqs": [],
                               "queues": {"rx": [{"index": i} for i in range(4)], "tx": [{"index": 0}]}}}}


def test_summary_counts_queues_per_nic():
    s = preflight_summary(KERNEL_OK, CPU, NIC)
    assert s["nics"] == [{"name": "eth0", "driver": "veth", "rx_queues": 4, "tx_queues": 1, "irqs": 0,
                          "numa_node": -1, "xdp_mode": None, "xdp_mode_source": None, "afxdp_mode": None,
                          "zerocopy": None}]
    assert s["cpu_count"] == 4 and s["kernel"] == "6.1.0-18-amd64"


def test_summary_reports_the_afxdp_mode_per_nic_and_why_it_is_unknown():
    features = {"interfaces": {"eth0": {"afxdp_mode": "copy (native XDP)", "zerocopy": False}},
                "reason": None}
    s = preflight_summary(KERNEL_OK, CPU, NIC, features)
    assert (s["nics"][0]["afxdp_mode"], s["nics"][0]["zerocopy"]) == ("copy (native XDP)", False)
    old = preflight_summary(KERNEL_OK, CPU, NIC, {"interfaces": {}, "reason": "no netdev family"})
    assert old["nics"][0]["afxdp_mode"] is None and old["xdp_features_reason"] == "no netdev family"


def test_table_shows_the_xdp_mode_each_driver_offers():
    two = {"interfaces": {**NIC["interfaces"], "eth1": {**NIC["interfaces"]["eth0"], "driver": "r8169"}}}
    features = {"interfaces": {"eth0": {"xdp_mode": "native"}, "eth1": {"xdp_mode": "generic"}},
                "reason": None}
    summary = preflight_summary(KERNEL_OK, CPU, two, features)
    hostvars = {"srv1": {"preflight_result": summary, "preflight_ok": True}}
    row = preflight_table(hostvars, ["srv1"])[2]
    assert "eth0[veth] 4/1 native, eth1[r8169] 4/1 generic" in row
    unknown = {"srv1": {"preflight_result": preflight_summary(KERNEL_OK, CPU, NIC), "preflight_ok": True}}
    assert "eth0[veth] 4/1 xdp ?" in preflight_table(unknown, ["srv1"])[2]


def test_where_the_kernel_cannot_say_a_known_driver_gives_the_mode_and_the_table_marks_it():
    drivers = ("virtio_net", "gve", "r8169")
    nics = {"interfaces": {f"eth{i}": {**NIC["interfaces"]["eth0"], "driver": d}
                           for i, d in enumerate(drivers)}}
    no_family = {"interfaces": {}, "reason": "the kernel has no netdev netlink family (Linux < 6.3?)"}
    s = preflight_summary(KERNEL_OK, CPU, nics, no_family)
    assert [(n["xdp_mode"], n["xdp_mode_source"]) for n in s["nics"]] == [
        ("native", "driver"), ("generic", "driver"), (None, None)]
    row = preflight_table({"srv1": {"preflight_result": s, "preflight_ok": True}}, ["srv1"])[2]
    assert ("eth0[virtio_net] 4/1 native (by driver), eth1[gve] 4/1 generic (by driver), "
            "eth2[r8169] 4/1 xdp ?") in row
    # gve runs XDP itself from 6.4, where the kernel would say; if it could not, the list still knows.
    newer = preflight_summary({**KERNEL_OK, "release": "6.8.0-1015-gcp"}, CPU, nics, no_family)
    assert newer["nics"][1]["xdp_mode"] == "native"


def test_the_kernels_word_wins_over_the_driver_list():
    features = {"interfaces": {"eth0": {"xdp_mode": "generic"}}, "reason": None}
    s = preflight_summary(KERNEL_OK, CPU, NIC, features)
    assert (s["nics"][0]["xdp_mode"], s["nics"][0]["xdp_mode_source"]) == ("generic", "kernel")


def test_table_names_failed_and_unreachable_hosts_with_the_reason():
    bad_kernel = {**KERNEL_OK, "xdp": {"usable": False, "reason": "bpf() failed: Operation not permitted"}}
    hostvars = {
        "srv1": {"preflight_result": preflight_summary(KERNEL_OK, CPU, NIC), "preflight_ok": True},
        "srv2": {"preflight_result": preflight_summary(bad_kernel, CPU, NIC)},
        "srv3": {},
    }
    lines = preflight_table(hostvars, ["srv1", "srv2", "srv3"])
    row = {line.split()[0]: line for line in lines[2:] if line and not line.startswith(" ")}
    assert " ok " in row["srv1"] and "eth0[veth] 4/1" in row["srv1"]
    assert "FAILED" in row["srv2"]
    assert any("xdp: bpf() failed: Operation not permitted" in line for line in lines)
    assert "UNREACHABLE" in row["srv3"]
