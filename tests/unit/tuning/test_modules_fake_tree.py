"""The tuning modules against fake /proc and /sys trees of a 32-CPU gve host: bad inputs refused with
a message naming the parameter, check mode, idempotence, and tune -> restore leaving every file as it was."""

import pytest
from fake_host import build, files, run_module

from ansible_collections.fastpath.host.plugins.filter.tuning_checks import nic_problems, sysctl_problems
from ansible_collections.fastpath.host.plugins.modules import (
    fastpath_restore,
    irq_affinity,
    nic_queues,
    sysctl_apply,
)


@pytest.fixture
def host(tmp_path):
    return build(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"interface": "ens9"}, "interface: 'ens9' does not exist on this host"),
        ({"xps_cpus": {"x": "1"}}, "xps_cpus: 'x' is not a queue number"),
        ({"rps_cpus": {"0": "1-"}}, "rps_cpus: queue 0:"),
        ({"rps_flow_cnt": {"0": -1}}, "rps_flow_cnt: queue 0: -1 is not an integer in 0..134217728"),
        ({"gro_flush_timeout": -5}, "gro_flush_timeout: -5 is out of range"),
    ],
)
def test_nic_queues_bad_input(host, args, message):
    out = run_module(nic_queues.main, {"interface": "ens4", "root": str(host), **args})
    assert out["failed"] and message in out["msg"]


@pytest.mark.parametrize(
    ("irqs", "message"),
    [
        ({"abc": "1"}, "irqs: 'abc' is not an IRQ number"),
        ({"41": ""}, "irqs: IRQ 41 has an empty CPU list"),
        ({"41": "3-1"}, "irqs: IRQ 41: range '3-1' runs backwards"),
    ],
)
def test_irq_affinity_bad_input(host, irqs, message):
    out = run_module(irq_affinity.main, {"irqs": irqs, "root": str(host)})
    assert out["failed"] and message in out["msg"]


@pytest.mark.parametrize(
    ("sysctls", "message"),
    [
        ({"net core rmem": 1}, "is not a dotted sysctl name"),
        ({"net.core.rmem_max": "1\n2"}, "is not a single-line value"),
    ],
)
def test_sysctl_apply_bad_input(host, sysctls, message):
    out = run_module(sysctl_apply.main, {"sysctls": sysctls, "root": str(host), "persist_file": ""})
    assert out["failed"] and message in out["msg"]


@pytest.mark.parametrize(
    ("sysctls", "message"),
    [
        (
            {"net.core.rmem_default": 8388608, "net.core.rmem_max": 4194304},
            "net.core.rmem_default (8388608) is above net.core.rmem_max (4194304)",
        ),
        ({"net.core.wmem_default": 9, "net.core.wmem_max": 8}, "net.core.wmem_default (9) is above"),
        ({"net.ipv4.udp_mem": "3 2 1"}, "udp_mem must be three page counts, low <= pressure <= high"),
        ({"net.core.busy_poll": "fast"}, "net.core.busy_poll = 'fast' is not a non-negative integer"),
        ({"net.core.netdev_budget": 0}, "net.core.netdev_budget = 0 is below 1"),
        ({"net.core.busy_read": 2**40}, "is above the kernel's limit"),
        ({"Net..core": 1}, "is not a dotted sysctl name"),
        ({"net.core.busy_poll": True}, "is not a non-negative integer"),
    ],
)
def test_sysctl_overrides_problems_name_the_variable(sysctls, message):
    problems = sysctl_problems(sysctls)
    assert any(message in p and p.startswith("sysctl_tuning_overrides: ") for p in problems), problems


def test_good_profile_has_no_problems():
    assert (
        sysctl_problems(
            {"net.core.rmem_max": 67108864, "net.core.rmem_default": 16777216, "net.ipv4.udp_mem": "1 2 3"}
        )
        == []
    )


@pytest.mark.parametrize(
    ("rings", "coalesce", "message"),
    [
        ({"rx": 8192}, {}, "nic_tuning_rings: rx = 8192 is above ens4's maximum of 4096"),
        ({"rx": 0}, {}, "nic_tuning_rings: rx = 0 is not a positive integer"),
        ({"big": 1}, {}, "nic_tuning_rings: unknown ring 'big'"),
        ({}, {"rx_usec": 1}, "nic_tuning_coalesce: unknown setting 'rx_usec'"),
        ({}, {"rx_usecs": -1}, "nic_tuning_coalesce: rx_usecs = -1 is not an integer >= 0"),
    ],
)
def test_nic_problems(rings, coalesce, message):
    nic = {"rings": {"rx": 1024, "tx": 1024, "max_rx": 4096, "max_tx": 4096}}
    assert any(message in p for p in nic_problems("ens4", nic, rings, coalesce))


def test_missing_nic_is_a_problem():
    assert nic_problems("ens9", None, {}, {}) == ["nic_tuning_interface: 'ens9' does not exist on this host"]


PLAN = {  # the shape cpu_partition's plan gives, for four queues
    "xps_cpus": {"0": "1,5", "1": "2,6", "2": "3,7", "3": "4,0"},
    "rps_cpus": {"0": "8-15", "1": "8-15", "2": "8-15", "3": "8-15"},
    "rps_flow_cnt": {"0": 8192, "1": 8192, "2": 8192, "3": 8192},
    "irq_affinity": {"41": "1", "42": "2", "43": "3", "44": "4", "45": "1", "46": "2", "47": "3", "48": "4"},
}


def tune(root, check=False):
    r = str(root)
    return [
        run_module(
            sysctl_apply.main,
            {
                "sysctls": {
                    "net.core.rmem_max": 67108864,
                    "net.core.busy_poll": 50,
                    "net.ipv4.udp_mem": "262144 524288 1048576",
                },
                "root": r,
            },
            check=check,
        ),
        run_module(irq_affinity.main, {"irqs": PLAN["irq_affinity"], "root": r}, check=check),
        run_module(
            nic_queues.main,
            {
                "interface": "ens4",
                "root": r,
                "napi_defer_hard_irqs": 2,
                **{k: PLAN[k] for k in ("xps_cpus", "rps_cpus", "rps_flow_cnt")},
            },
            check=check,
        ),
    ]


def test_check_mode_changes_no_file(host):
    before = files(host)
    results = tune(host, check=True)
    assert all(r["changed"] for r in results)
    assert files(host) == before
    assert not (host / "var").exists()


def test_tune_is_idempotent_and_restore_is_exact(host):
    before = files(host)
    assert all(r["changed"] for r in tune(host))
    tuned = files(host)
    assert tuned["proc/irq/45/smp_affinity_list"] == "1\n"
    assert tuned["sys/class/net/ens4/queues/rx-2/rps_cpus"] == "ff00\n"
    assert "etc/sysctl.d/60-fastpath.conf" in tuned
    assert not any(r["changed"] for r in tune(host))
    # A second tune with other values must not overwrite what the first one recorded.
    run_module(irq_affinity.main, {"irqs": {"41": "7"}, "root": str(host)})
    restored = run_module(fastpath_restore.main, {"root": str(host)})
    assert restored["changed"] and restored["archived"]
    assert files(host) == before
    again = run_module(fastpath_restore.main, {"root": str(host)})
    assert not again["changed"]


def test_restore_in_check_mode_shows_the_diff_and_changes_nothing(host):
    tune(host)
    tuned = files(host)
    out = run_module(fastpath_restore.main, {"root": str(host)}, check=True)
    assert out["changed"] and "sysctl net.core.busy_poll = 0" in out["diff"]["after"]
    assert files(host) == tuned
    assert (host / "var/lib/fastpath/snapshot.json").exists()
