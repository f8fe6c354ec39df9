"""ethtool text as printed by ethtool 6.1 (LANG=C) on this machine's virtio_net and a veth."""

from ansible_collections.fastpath.host.plugins.module_utils import ethtool_parse as E

VIRTIO_L = (
    "Channel parameters for eth0:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\n"
    "Combined:\t1\nCurrent hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t1\n"
)
VETH_L = (
    "Channel parameters for va:\nPre-set maximums:\nRX:\t\t2\nTX:\t\t2\nOther:\t\tn/a\nCombined:\tn/a\n"
    "Current hardware settings:\nRX:\t\t1\nTX:\t\t1\nOther:\t\tn/a\nCombined:\tn/a\n"
)
VIRTIO_X = (
    "RX flow hash indirection table for eth0 with 1 RX ring(s):\nOperation not supported\n"
    "RSS hash key:\nOperation not supported\nRSS hash function:\n    toeplitz: on\n    xor: off\n"
    "    crc32: off\n"
)


def test_channels_virtio_and_veth():
    ch, reason = E.parse_channels(VIRTIO_L)
    assert reason is None and ch["combined"] == 1 and ch["max_combined"] == 1 and ch["rx"] is None
    ch, _reason = E.parse_channels(VETH_L)
    assert (ch["rx"], ch["max_rx"], ch["combined"]) == (1, 2, None)


def test_unsupported_operations_give_the_driver_reason():
    assert E.parse_coalesce("netlink error: Operation not supported\n") == (
        None,
        "netlink error: Operation not supported",
    )
    assert E.parse_rss("Cannot get RX ring count: Operation not supported\n")[1].startswith("Cannot get RX")
    assert E.parse_channels("")[0] is None


def test_rss_table_not_supported_inside_successful_output():
    rss, reason = E.parse_rss(VIRTIO_X)
    assert reason is None
    assert rss["indir_size"] is None and rss["rx_rings"] == 1 and rss["hash_function"] == "toeplitz"
    assert rss["indir_reason"] == "indirection table: Operation not supported"


def test_flow_hash_none_and_four_tuple():
    assert E.parse_flow_hash("UDP over IPV4 flows use these fields for computing Hash flow key:\nNone\n") == (
        [],
        None,
    )
    fields, _reason = E.parse_flow_hash(
        "UDP over IPV4 flows use these fields for computing Hash flow key:\nIP SA\nIP DA\n"
    )
    assert fields == ["ip_src", "ip_dst"]


def test_features_fixed_list():
    feats, _reason = E.parse_features(
        "Features for eth0:\nrx-checksumming: on [fixed]\n\ttx-checksum-ipv4: off [fixed]\n"
        "generic-receive-offload: on\nrx-gro-list: off [requested on]\n"
    )
    assert feats["generic-receive-offload"] is True and feats["rx-gro-list"] is False
    assert feats["_fixed"] == ["rx-checksumming", "tx-checksum-ipv4"]


def test_driver_info_names_a_virtual_nics_driver():
    # `ethtool -i` on a veth (ethtool 6.1): the only place a NIC without a sysfs device names its driver
    text = (
        "driver: veth\nversion: 1.0\nfirmware-version: \nexpansion-rom-version: \nbus-info: \n"
        "supports-statistics: yes\nsupports-test: no\nsupports-eeprom-access: no\n"
        "supports-register-dump: no\nsupports-priv-flags: no\n"
    )
    assert E.parse_driver_info(text) == ("veth", None)


def test_driver_info_without_a_driver_line_says_so():
    assert E.parse_driver_info("Cannot get driver information: No such device\n") == (
        None, "ethtool -i printed no driver")
