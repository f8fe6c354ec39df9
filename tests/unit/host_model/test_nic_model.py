"""nic_info's model on fixture trees: interface selection, ethtool replay, XDP, bad input."""

import os

from conftest import tree

from ansible_collections.fastpath.host.plugins.module_utils.commands import CommandRunner
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.irq_state import read_irqs
from ansible_collections.fastpath.host.plugins.module_utils.nic_model import read_interfaces


def read(name, **kw):
    fs = HostFS(tree(name))
    return read_interfaces(fs, CommandRunner(fs), **kw), fs.warnings


def test_default_selection_skips_loopback_and_bridges_but_keeps_veth():
    nics, _warnings = read("ice")
    assert sorted(nics) == ["eth1", "eth10", "veth0"]
    assert nics["veth0"]["irqs"] == [] and nics["veth0"]["driver"] is None


def test_filter_and_unknown_interface_warning():
    nics, warnings = read("ice", wanted=["eth10", "nosuch0"])
    assert list(nics) == ["eth10"]
    assert any("'nosuch0' does not exist" in w for w in warnings)


def test_sysfs_identity_and_link():
    nics, _warnings = read("mlx5")
    nic = nics["ens1f0np0"]
    assert (nic["driver"], nic["bus_info"], nic["numa_node"]) == ("mlx5_core", "0000:3b:00.0", 0)
    assert (nic["mtu"], nic["speed"], nic["operstate"]) == (1500, 25000, "up")
    assert nic["queues"]["rx"][0]["rps_cpus"] == "" and nic["queues"]["tx"][0]["xps_cpus"] == ""


def test_recorded_ethtool_output_is_parsed():
    nics, _warnings = read("mlx5")
    nic = nics["ens1f0np0"]
    assert nic["channels"] == {
        "rx": None,
        "tx": None,
        "other": None,
        "combined": 4,
        "max_rx": None,
        "max_tx": None,
        "max_other": None,
        "max_combined": 63,
    }
    assert nic["rings"]["rx"] == 1024 and nic["rings"]["max_rx"] == 8192
    assert nic["coalesce"]["adaptive_rx"] is True and nic["coalesce"]["rx_usecs"] == 8
    assert nic["features"]["generic-receive-offload"] is True
    assert nic["rss"]["indir_size"] == 128 and nic["rss"]["hash_function"] == "toeplitz"
    assert nic["rss"]["udp4_hash"] == ["ip_src", "ip_dst", "l4_src_port", "l4_dst_port"]


def test_unsupported_ethtool_operation_is_null_with_reason():
    nics, _warnings = read("mlx5")
    port2 = nics["ens1f1np1"]
    assert port2["coalesce"] is None
    assert port2["coalesce_reason"] == "netlink error: Operation not supported"
    assert port2["channels"] is None and "no recorded output" in port2["channels_reason"]


def test_ethtool_disabled_and_absent_give_reasons():
    nics, _warnings = read("mlx5", ethtool=False)
    assert nics["ens1f0np0"]["channels"] is None
    assert "disabled" in nics["ens1f0np0"]["channels_reason"]
    nics, _warnings = read("ice")
    assert nics["eth1"]["rings"] is None and "no recorded ethtool output" in nics["eth1"]["rings_reason"]


def test_xdp_attachment_from_ip_json():
    nics, _warnings = read("mlx5")
    assert nics["ens1f0np0"]["xdp"]["attached"] is True
    assert nics["ens1f0np0"]["xdp"]["prog_id"] == 42 and nics["ens1f0np0"]["xdp"]["mode"] == "native"
    assert nics["ens1f1np1"]["xdp"]["attached"] is False


def test_xdp_unknown_is_null_with_warning():
    nics, warnings = read("ice")
    assert nics["eth1"]["xdp"] is None
    assert any(w.startswith("XDP state unknown") for w in warnings)


def test_broken_tree_gives_partial_data_and_reasons():
    nics, warnings = read("broken")
    assert set(nics) == {"eth0", "eth1"}  # ghost0's device is gone: no netdev dir to read
    eth0 = nics["eth0"]
    assert eth0["mtu"] is None
    assert any("/sys/class/net/eth0/mtu" in w for w in warnings)
    assert [q["irq"] for q in eth0["queues"]["rx"]] != [None, None]
    # Unknown driver: its msi_irqs stay listed as "other", with a warning naming the driver.
    eth1 = nics["eth1"]
    assert eth1["driver"] == "foonic"
    assert {i["kind"] for i in eth1["irqs"]} == {"other"} and len(eth1["irqs"]) == 3
    assert any("'foonic'" in w for w in warnings)
    assert any("/proc/interrupts line" in w for w in warnings)
    assert any("'ghost0' vanished" in w for w in warnings)
    assert not any("ghost0/mtu" in w for w in warnings)


def test_unreadable_affinity_is_null_with_reason():
    fs = HostFS(tree("broken"))
    irqs = read_irqs(fs)
    assert irqs[26]["affinity"] is None and irqs[27]["affinity"] == "0-3"
    assert "cannot read /proc/irq/26/smp_affinity: Is a directory" in fs.warnings


def test_interface_vanishing_mid_read_is_left_out_with_reason(tmp_path):
    root = tmp_path / "vanish"
    os.system(f"cp -a {tree('ice')} {root}")

    class VanishingFS(HostFS):
        """Removes eth10 from sysfs the first time its queues are listed, as a hot unplug would."""

        def listdir(self, rel, quiet=False):
            if rel == "sys/class/net/eth10/queues":
                os.unlink(self.path("sys/class/net/eth10"))
            return super().listdir(rel, quiet=quiet)

    fs = VanishingFS(str(root))
    nics = read_interfaces(fs, CommandRunner(fs))
    assert "eth10" not in nics and "eth1" in nics
    assert any("'eth10' vanished while being read" in w for w in fs.warnings)


def test_missing_root_contents_never_raise(tmp_path):
    fs = HostFS(str(tmp_path))
    assert read_interfaces(fs, CommandRunner(fs)) == {}
    assert any("/sys/class/net" in w for w in fs.warnings)
