"""cpulist <-> set <-> mask algebra, against the kernel's own formats."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.fastpath.host.plugins.module_utils.cpulist import (
    CpuSetError,
    format_cpulist,
    format_mask,
    parse_cpulist,
    parse_mask,
)

cpu_sets = st.frozensets(st.integers(min_value=0, max_value=1023), max_size=64)


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("", set()),
        ("0", {0}),
        ("0-3,8", {0, 1, 2, 3, 8}),
        ("0-3, 5", {0, 1, 2, 3, 5}),
        ("0-15:2/4", {0, 1, 4, 5, 8, 9, 12, 13}),
        ("64-65", {64, 65}),
    ],
)
def test_parse_cpulist(text, cpus):
    assert parse_cpulist(text) == cpus


@pytest.mark.parametrize("text", ["3-1", "a", "1,,2", "-1", "0-7:0/4", "0-7:5/4", "0-7:2", "1-"])
def test_parse_cpulist_rejects_garbage_with_message(text):
    with pytest.raises(CpuSetError, match="cpulist"):
        parse_cpulist(text)


@pytest.mark.parametrize(
    ("cpus", "nr", "mask"),
    [
        (set(), 2, "0"),  # what rps_cpus shows on a 2-CPU machine with RPS off
        ({0, 1}, 2, "3"),
        ({0, 1, 2, 3}, 4, "f"),
        ({0, 63}, 64, "80000000,00000001"),
        ({35}, 36, "8,00000000"),
        ({0}, 256, ",".join(["00000000"] * 7 + ["00000001"])),
    ],
)
def test_format_mask_matches_kernel_bitmap_string(cpus, nr, mask):
    assert format_mask(cpus, nr) == mask


@pytest.mark.parametrize(
    ("mask", "cpus"),
    [
        ("0", set()),
        ("3", {0, 1}),
        ("0x10", {4}),
        ("ff,00000000", set(range(32, 40))),
        ("00000001,00000000,00000000", {64}),
    ],
)
def test_parse_mask(mask, cpus):
    assert parse_mask(mask) == cpus


@pytest.mark.parametrize("mask", ["", "xyz", "123456789", "f,,f"])
def test_parse_mask_rejects_garbage(mask):
    with pytest.raises(CpuSetError):
        parse_mask(mask)


def test_format_cpulist_joins_runs():
    assert format_cpulist({8, 0, 1, 2, 3, 10, 11}) == "0-3,8,10-11"


@given(cpu_sets)
def test_cpulist_round_trip(cpus):
    assert parse_cpulist(format_cpulist(cpus)) == cpus


@given(cpu_sets, st.integers(min_value=1, max_value=1024))
def test_mask_round_trip_beyond_64_cpus(cpus, nr):
    text = format_mask(cpus, nr)
    assert parse_mask(text) == cpus
    # every group but the first is exactly 32 bits wide, as the kernel prints it
    assert all(len(g) == 8 for g in text.split(",")[1:])
