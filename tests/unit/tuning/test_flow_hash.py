"""UDP flow hash: ethtool's text parsed to letters, the set planned and read back, drivers that cannot
(veth, virtio_net) skipped with the reason, and the snapshot entry restored."""

from pathlib import Path

import pytest

from ansible_collections.fastpath.host.plugins.filter.tuning_checks import nic_problems
from ansible_collections.fastpath.host.plugins.module_utils.ethtool_set import EthtoolError
from ansible_collections.fastpath.host.plugins.module_utils.flow_hash import (
    FlowHashUnsupported,
    apply_flow_hash,
    canonical,
    parse_flow_hash,
    read_flow_hash,
    validate,
)
from ansible_collections.fastpath.host.plugins.module_utils.restore import restore_entries

TEXTS = Path(__file__).parent / "ethtool_flow_hash"


def text(name: str) -> str:
    return (TEXTS / name).read_text()


@pytest.mark.parametrize(
    ("name", "letters"),
    [
        ("multiqueue-udp4-sdfn.txt", "sdfn"),
        ("multiqueue-udp6-sd.txt", "sd"),
        ("multiqueue-udp4-discard.txt", "r"),
        ("virtio_net-udp4.txt", ""),
    ],
)
def test_parse_reads_the_hashed_fields_as_letters(name, letters):
    assert parse_flow_hash(text(name)) == (letters, None)


@pytest.mark.parametrize("name", ["veth-udp4.txt", "veth-set-udp4.txt", "virtio_net-set-udp4.txt"])
def test_parse_of_a_refusal_gives_ethtools_line_as_the_reason(name):
    letters, reason = parse_flow_hash(text(name))
    assert letters is None
    assert reason == text(name).strip()


def test_parse_of_an_unknown_field_is_not_guessed():
    letters, reason = parse_flow_hash(
        "UDP over IPV4 flows use these fields for computing Hash flow key:\nIP SA\nGTP TEID\n\n"
    )
    assert letters is None and "GTP TEID" in reason


def test_letters_compare_in_ethtools_order():
    assert canonical("nfds") == "sdfn" == canonical("sdfnn")


@pytest.mark.parametrize("bad", ["", "sdx", 5, None])
def test_validate_names_the_problem(bad):
    assert validate(bad) is not None
    assert validate("sdfn") is None


class FakeDriver:
    """ethtool -n/-N against a driver state, answering with the captured texts' wording."""

    FIELD_LINES = {
        "s": "IP SA",
        "d": "IP DA",
        "f": "L4 bytes 0 & 1 [TCP/UDP src port]",
        "n": "L4 bytes 2 & 3 [TCP/UDP dst port]",
    }

    def __init__(self, hashes: dict, settable=True, readable=True):
        self.hashes, self.settable, self.readable = dict(hashes), settable, readable
        self.sets: list[list[str]] = []

    def __call__(self, argv):
        _ethtool, flag, _ifname, _what, flow_type, *rest = argv
        if flag == "-n":
            if not self.readable:
                return 1, "", text("veth-udp4.txt")
            fields = self.hashes[flow_type]
            body = "".join(self.FIELD_LINES[c] + "\n" for c in fields) + "\n" if fields else "None\n"
            heading = f"UDP over IPV{flow_type[-1]} flows use these fields for computing Hash flow key:"
            return 0, f"{heading}\n{body}", ""
        self.sets.append(argv)
        if not self.settable:
            return 1, "", text("virtio_net-set-udp4.txt")
        self.hashes[flow_type] = canonical(rest[0])
        return 0, "", ""


def test_apply_sets_only_what_differs_and_reads_it_back():
    driver = FakeDriver({"udp4": "sd", "udp6": "sdfn"})
    assert apply_flow_hash(driver, "eth0", {"udp4": "sdfn", "udp6": "sdfn"}) == {"udp4": ("sd", "sdfn")}
    assert driver.sets == [["ethtool", "-N", "eth0", "rx-flow-hash", "udp4", "sdfn"]]
    assert apply_flow_hash(driver, "eth0", {"udp4": "nfds", "udp6": "sdfn"}) == {}
    assert len(driver.sets) == 1


def test_a_driver_without_flow_hash_is_unsupported_with_ethtools_reason():
    with pytest.raises(FlowHashUnsupported, match="Operation not supported"):
        read_flow_hash(FakeDriver({}, readable=False), "eth0", ["udp4"])


def test_a_driver_that_refuses_the_change_is_unsupported_not_a_failure():
    driver = FakeDriver({"udp4": "", "udp6": ""}, settable=False)
    with pytest.raises(FlowHashUnsupported, match="refuses 'sdfn': .*Invalid argument"):
        apply_flow_hash(driver, "eth0", {"udp4": "sdfn"})


def test_a_refusal_printed_with_exit_code_0_is_unsupported_too():
    # ethtool 6.1 on virtio_net, as seen on this machine: the error on stderr, and exit code 0
    driver = FakeDriver({"udp4": "", "udp6": ""})

    def refuse_but_exit_0(argv):
        if argv[1] == "-N":
            return 0, "", "Cannot change RX network flow hashing options: Invalid argument\n"
        return driver(argv)

    with pytest.raises(FlowHashUnsupported, match="refuses 'sdfn': .*Invalid argument"):
        apply_flow_hash(refuse_but_exit_0, "eth0", {"udp4": "sdfn"})


def test_a_change_that_does_not_read_back_fails():
    driver = FakeDriver({"udp4": "sd"})

    def ignore_sets(argv):  # a driver that says yes and keeps its hash
        return (0, "", "") if argv[1] == "-N" else driver(argv)

    with pytest.raises(EthtoolError, match="still shows"):
        apply_flow_hash(ignore_sets, "eth0", {"udp4": "sdfn"})


def test_restore_puts_the_recorded_hash_back(tmp_path):
    (tmp_path / "sys/class/net/eth0").mkdir(parents=True)
    driver = FakeDriver({"udp4": "sdfn", "udp6": "sdfn"})
    entry = {"kind": "ethtool", "key": "eth0/rx_flow_hash", "value": {"udp4": "sd", "udp6": "sdfn"}}
    [result] = restore_entries([entry], root=str(tmp_path), run=driver)
    assert result["status"] == "changed"
    assert driver.hashes == {"udp4": "sd", "udp6": "sdfn"}
    [again] = restore_entries([entry], root=str(tmp_path), run=driver)
    assert again["status"] == "ok"


def test_restore_skips_a_driver_that_lost_its_flow_hash(tmp_path):
    (tmp_path / "sys/class/net/eth0").mkdir(parents=True)
    entry = {"kind": "ethtool", "key": "eth0/rx_flow_hash", "value": {"udp4": "sd"}}
    [result] = restore_entries([entry], root=str(tmp_path), run=FakeDriver({}, readable=False))
    assert result["status"] == "skipped" and "Operation not supported" in result["reason"]


@pytest.mark.parametrize(
    ("flow_hash", "message"),
    [
        ({"udp5": "sdfn"}, "nic_tuning_rx_flow_hash: unknown flow type 'udp5'"),
        ({"udp4": "sdq"}, "nic_tuning_rx_flow_hash: udp4: 'sdq' has letters ethtool does not know: q"),
        ({"udp6": ""}, "nic_tuning_rx_flow_hash: udp6: '' is not a string"),
    ],
)
def test_bad_flow_hash_input_names_the_variable(flow_hash, message):
    nic = {"rings": {}, "channels": {}}
    problems = nic_problems("eth0", nic, {}, {}, flow_hash=flow_hash)
    assert any(p.startswith(message) for p in problems), problems
    assert nic_problems("eth0", nic, {}, {}, flow_hash={"udp4": "sdfn", "udp6": "sd"}) == []
