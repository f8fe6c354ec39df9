"""Verify role sysctl_tuning on a lab host: every key of the throughput profile is either in effect and
persisted in 60-fastpath.conf, or named there as not set with the netns reason."""

from pathlib import Path

import pytest
import yaml

PROFILE = yaml.safe_load((Path(__file__).parents[3] / "roles/sysctl_tuning/vars/main.yml").read_text())[
    "__sysctl_tuning_profiles"
]["throughput"]
PERSIST = "/etc/sysctl.d/60-fastpath.conf"


def persisted(host) -> dict:
    lines = host.file(PERSIST).content_string.splitlines()
    return dict(line.split(" = ", 1) for line in lines if line and not line.startswith("#"))


@pytest.mark.parametrize("key", sorted(PROFILE))
def test_profile_key_in_effect_and_persisted_or_skipped_with_reason(host, key):
    want = " ".join(str(PROFILE[key]).split())
    file = persisted(host)
    if key in file:
        assert file[key] == want
        assert " ".join(host.check_output(f"sysctl -n {key}").split()) == want
    else:
        notes = host.file(PERSIST).content_string
        assert f"# {key} not set: " in notes
        assert "network namespace" in notes.split(f"# {key} not set: ")[1].splitlines()[0]


def test_namespaced_keys_were_really_set(host):
    # A lab host is a network namespace: these per-netns keys must have been applied, not skipped.
    for key in ("net.core.optmem_max", "net.ipv4.udp_rmem_min", "net.ipv4.udp_wmem_min"):
        assert key in persisted(host)


def test_persist_file_is_roots_and_0644(host):
    f = host.file(PERSIST)
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
