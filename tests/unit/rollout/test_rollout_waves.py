"""The rollout's waves: sizes from fastpath_canary / fastpath_wave_size, and every bad input refused."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.filter import rollout as ro

SRV3 = ["srv1", "srv2", "srv3"]
SRV10 = [f"srv{i}" for i in range(1, 11)]


def test_default_is_one_canary_then_the_rest_in_one_wave():
    assert ro.rollout_waves(SRV3) == [["srv1"], ["srv2", "srv3"]]


def test_one_server_is_one_wave_of_one():
    assert ro.rollout_waves(["srv1"]) == [["srv1"]]


def test_canary_of_every_server_is_a_single_wave():
    assert ro.rollout_waves(SRV3, canary=3) == [SRV3]
    assert ro.rollout_waves(SRV3, canary="100%") == [SRV3]


def test_wave_size_count_splits_the_rest_and_the_last_wave_is_what_is_left():
    assert ro.rollout_waves(SRV10, canary=2, wave_size=3) == [
        ["srv1", "srv2"], ["srv3", "srv4", "srv5"], ["srv6", "srv7", "srv8"], ["srv9", "srv10"]]


def test_percentages_are_of_all_servers_and_round_up():
    # 10% of 10 = 1; 25% of 10 = 2.5 -> 3
    assert [len(w) for w in ro.rollout_waves(SRV10, canary="10%", wave_size="25%")] == [1, 3, 3, 3]
    # 10% of 3 servers is 0.3: still one server, never an empty wave
    assert ro.rollout_waves(SRV3, canary="10%", wave_size="1%") == [["srv1"], ["srv2"], ["srv3"]]


def test_counts_given_as_strings_and_percent_with_a_space_are_read():
    assert ro.rollout_waves(SRV3, canary="2") == [["srv1", "srv2"], ["srv3"]]
    assert ro.rollout_waves(SRV10, canary=" 50 %") == [SRV10[:5], SRV10[5:]]


def test_an_empty_wave_size_means_the_rest_in_one_wave():
    assert ro.rollout_waves(SRV10, canary=1, wave_size="") == [SRV10[:1], SRV10[1:]]
    assert ro.rollout_waves(SRV10, canary=1, wave_size=None) == [SRV10[:1], SRV10[1:]]


def test_a_wave_size_above_what_is_left_is_just_the_rest():
    assert ro.rollout_waves(SRV3, wave_size=50) == [["srv1"], ["srv2", "srv3"]]


def test_the_waves_keep_the_given_order_and_cover_every_server_once():
    waves = ro.rollout_waves(SRV10, canary=1, wave_size=4)
    assert [h for w in waves for h in w] == SRV10


def test_no_servers_is_no_wave():
    assert ro.rollout_waves([]) == []


@pytest.mark.parametrize("bad", [0, -1, "0", "-1", "abc", "0%", "0 %", "101%", "-5%", "1.5", "",
                                 True, None, 2.0, [1]])
def test_bad_canary_is_a_clear_error(bad):
    with pytest.raises(AnsibleFilterError, match=r"^fastpath_canary must be a count of servers"):
        ro.rollout_waves(SRV3, canary=bad)


@pytest.mark.parametrize("bad", [0, -1, "abc", "0%", "150%", False])
def test_bad_wave_size_is_a_clear_error(bad):
    with pytest.raises(AnsibleFilterError, match=r"^fastpath_wave_size must be a count of servers"):
        ro.rollout_waves(SRV3, wave_size=bad)


def test_a_canary_larger_than_the_fleet_is_an_error_naming_the_fleet():
    with pytest.raises(AnsibleFilterError) as err:
        ro.rollout_waves(SRV3, canary=4)
    assert str(err.value) == ("fastpath_canary=4 is 4 servers, more than the 3 in dataplane_servers "
                              "(srv1, srv2, srv3)")


@pytest.mark.parametrize(("given", "expected"),
                         [(0, 0), ("0", 0), (25, 25), ("25%", 25), ("12.5", 12.5), (100, 100)])
def test_max_fail_percent_is_read(given, expected):
    assert ro.rollout_max_fail(given) == expected


@pytest.mark.parametrize("bad", [-1, 101, "abc", "", None, True, "nan"])
def test_bad_max_fail_percent_is_a_clear_error(bad):
    with pytest.raises(AnsibleFilterError, match=r"^fastpath_max_fail_percent must be a percentage from 0"):
        ro.rollout_max_fail(bad)


def test_wave_of_a_host():
    waves = ro.rollout_waves(SRV3)
    assert [ro.rollout_wave_of(waves, h) for h in (*SRV3, "cli1")] == [1, 2, 2, 0]


def test_the_filters_are_registered():
    assert set(ro.FilterModule().filters()) == {"rollout_waves", "rollout_max_fail", "rollout_wave_of"}
