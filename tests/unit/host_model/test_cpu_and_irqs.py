"""cpu_info and irq_info models on the 256-CPU host and the broken host."""

from conftest import tree

from ansible_collections.fastpath.host.plugins.module_utils.cpu_topology import read_cpus
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.irq_state import read_irqs


def test_256_cpus_with_offline_and_isolated(host256):
    fs = HostFS(str(host256))
    cpus = read_cpus(fs)
    assert cpus["possible"] == "0-255" and cpus["online"] == "0-239" and cpus["offline"] == "240-255"
    assert cpus["count_online"] == 240
    assert cpus["isolated"] == "4-15" and cpus["nohz_full"] == "4-15"
    assert cpus["isolcpus_flags"] == ["managed_irq", "domain"]
    assert cpus["nodes"] == {"0": "0-127", "1": "128-239"}
    topo = {t["cpu"]: t for t in cpus["topology"]}
    assert topo[3] == {"cpu": 3, "online": True, "package": 0, "core": 3, "siblings": "3,131", "node": 0}
    assert topo[250]["online"] is False and topo[250]["package"] is None and topo[250]["node"] == 1
    assert [r["cpu"] for r in cpus["softnet"]] == list(range(240))
    assert set(cpus["softirqs"]) == {"NET_RX", "NET_TX"} and len(cpus["softirqs"]["NET_RX"]) == 256
    assert fs.warnings == []


def test_irq_affinity_beyond_64_cpus_and_managed_flag(host256):
    fs = HostFS(str(host256))
    irqs = read_irqs(fs)
    nvme = {r["name"]: r for r in irqs.values() if str(r.get("name", "")).startswith("nvme0q")}
    assert nvme["nvme0q1"]["managed"] is True and nvme["nvme0q0"]["managed"] is False
    assert nvme["nvme0q16"]["affinity"] == "225-239"
    ice = [r for r in irqs.values() if r.get("name") == "ice-eth10-TxRx-63"][0]
    assert ice["affinity"] == "0-239" and len(ice["per_cpu"]) == 240
    assert fs.warnings == []


def test_without_debugfs_managed_is_null_and_said_once():
    fs = HostFS(tree("ice"))
    irqs = read_irqs(fs)
    assert all(r["managed"] is None for k, r in irqs.items() if isinstance(k, int))
    assert sum("managed IRQs unknown" in w for w in fs.warnings) == 1


def test_broken_host_cpu_data_is_partial_not_fatal():
    fs = HostFS(tree("broken"))
    cpus = read_cpus(fs)
    assert cpus["online"] == "0-3"
    assert cpus["softirqs"] == {}
    assert [r["cpu"] for r in cpus["softnet"]] == [0]
    assert any("/proc/softirqs" in w for w in fs.warnings)
    assert any("softnet_stat line 2" in w for w in fs.warnings)
