"""The lab fleet's shape: the size rule, names, addresses and the bounds on size and instance."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastpath.lab import fleet
from fastpath.lab.errors import EXIT_USAGE, LabError


@pytest.mark.parametrize(
    ("size", "servers", "clients"),
    [(1, 1, 0), (2, 1, 1), (3, 2, 1), (4, 3, 1), (5, 4, 1), (6, 4, 2), (9, 6, 3), (16, 11, 5)],
)
def test_split_follows_the_size_rule(size, servers, clients):
    assert fleet.split(size) == (servers, clients)


def test_default_fleet_is_two_servers_and_one_client():
    hosts = fleet.plan(fleet.DEFAULT_SIZE, 0)
    assert [(h.name, h.group, h.address) for h in hosts] == [
        ("srv1", "dataplane_servers", "198.18.0.11"),
        ("srv2", "dataplane_servers", "198.18.0.12"),
        ("cli1", "load_clients", "198.18.0.101"),
    ]


def test_names_carry_the_instance_and_fit_an_interface_name():
    host = fleet.plan(16, 9)[-1]
    assert (host.name, host.netns, host.veth, host.machine) == ("cli5", "fp9-cli5", "fp9-cli5", "fp9-cli5")
    assert fleet.bridge(9) == "fp9br"
    assert fleet.gateway(9) == "198.18.9.1"
    assert fleet.subnet(9) == "198.18.9.0/24"


@given(size=st.integers(1, fleet.MAX_SIZE), instance=st.integers(0, fleet.MAX_INSTANCE))
def test_every_fleet_has_unique_names_and_addresses_inside_its_subnet(size, instance):
    hosts = fleet.plan(size, instance)
    assert len(hosts) == size
    assert len({h.name for h in hosts}) == size
    assert len({h.address for h in hosts}) == size
    # eth0 MACs: unique, unicast and locally administered (first octet 0x02).
    assert len({h.mac for h in hosts}) == size
    assert all(h.mac.startswith("02:") and len(h.mac.split(":")) == 6 for h in hosts)
    for h in hosts:
        octets = h.address.split(".")
        assert octets[:3] == ["198", "18", str(instance)]
        assert 2 <= int(octets[3]) <= 254
        assert len(h.veth) <= 15  # IFNAMSIZ - 1
        assert fleet.is_own_name(h.netns, instance)
    assert hosts[0].group == fleet.SERVER_GROUP


@pytest.mark.parametrize("size", [0, -1, 17, 300])
def test_bad_sizes_are_a_usage_error_that_names_the_range(size):
    with pytest.raises(LabError, match=f"between 1 and 16 hosts, got {size}") as err:
        fleet.plan(size, 0)
    assert err.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize("instance", [-1, 16, 255])
def test_bad_instances_are_a_usage_error(instance):
    with pytest.raises(LabError, match=f"between 0 and 15, got {instance}") as err:
        fleet.plan(3, instance)
    assert err.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(("raw", "expected"), [("", 0), ("2", 2), (" 7 ", 7)])
def test_instance_comes_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv(fleet.INSTANCE_ENV, raw)
    assert fleet.instance_from_env() == expected


@pytest.mark.parametrize("raw", ["x", "-1", "1.5", "16"])
def test_a_bad_instance_in_the_environment_is_a_clear_error(monkeypatch, raw):
    monkeypatch.setenv(fleet.INSTANCE_ENV, raw)
    with pytest.raises(LabError, match="FASTPATH_LAB_INSTANCE|between 0 and 15"):
        fleet.instance_from_env()


@pytest.mark.parametrize(
    ("name", "own"),
    [("fp2-srv1", True), ("fp2-cli16", True), ("fp2-srv17", False), ("fp2-srv", False), ("fp3-srv1", False),
     ("fp2-web1", False), ("fp2br", False), ("eth0", False), ("fp20-srv1", False)],
)
def test_only_the_instances_own_names_are_recognised(name, own):
    assert fleet.is_own_name(name, 2) is own
