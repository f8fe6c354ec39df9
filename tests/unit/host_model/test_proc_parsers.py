"""softnet_stat, softirqs and the kernel command line."""

from ansible_collections.fastpath.host.plugins.module_utils.kernel_cmdline import (
    isolation_from_cmdline,
    parse_cmdline,
)
from ansible_collections.fastpath.host.plugins.module_utils.softirqs import parse_softirqs
from ansible_collections.fastpath.host.plugins.module_utils.softnet import parse_softnet

# Kernel 6.18 on this machine: 15 columns, CPU number in column 13.
SOFTNET_618 = (
    "00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 00000000\n"
    "000014b0 00000002 00000005 00000000 00000000 00000000 00000000 00000000 00000000 0000000a "
    "00000003 00000000 00000003 00000000 00000000\n"
)


def test_softnet_uses_the_cpu_column_not_the_row_number():
    rows, warnings = parse_softnet(SOFTNET_618)
    assert warnings == []
    assert [r["cpu"] for r in rows] == [0, 3]
    assert rows[1] == {
        "cpu": 3,
        "processed": 0x14B0,
        "dropped": 2,
        "time_squeeze": 5,
        "received_rps": 10,
        "flow_limit_count": 3,
        "backlog_len": 0,
    }


def test_old_softnet_rows_map_to_online_cpus():
    old = (
        "0000000a 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n"
        * 2
    )
    rows, _warnings = parse_softnet(old, online=[0, 2])
    assert [r["cpu"] for r in rows] == [0, 2]


def test_softnet_garbage_is_a_warning():
    rows, warnings = parse_softnet("zzzz yyyy\n00000001 00000000\n")
    assert rows == [] and len(warnings) == 2


def test_softirqs_columns_are_possible_cpus():
    text = (
        "                    CPU0       CPU1       CPU2\n"
        "      NET_TX:          4          0          1\n"
        "      NET_RX:       2188       3728          0\n"
        "   garbage\n"
    )
    table, warnings = parse_softirqs(text)
    assert table["NET_RX"] == {0: 2188, 1: 3728, 2: 0}
    assert table["NET_TX"][2] == 1
    assert len(warnings) == 1


def test_cmdline_stops_at_init_arguments_and_reads_isolation():
    params = parse_cmdline(
        "ro quiet isolcpus=managed_irq,domain,2-5,8 nohz_full=2-5 -- --init-arg isolcpus=0"
    )
    iso, warnings = isolation_from_cmdline(params)
    assert warnings == []
    assert iso["isolcpus"] == {2, 3, 4, 5, 8}
    assert iso["isolcpus_flags"] == ["managed_irq", "domain"]
    assert iso["nohz_full"] == {2, 3, 4, 5}


def test_cmdline_bad_cpulist_is_a_warning():
    iso, warnings = isolation_from_cmdline(parse_cmdline("isolcpus=5-2"))
    assert iso["isolcpus"] == frozenset() and "isolcpus" in warnings[0]
