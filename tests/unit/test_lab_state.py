"""state.json: round trip, and damage reported as a LabError that says how to recover."""

import json

import pytest

from fastpath.lab import fleet, paths, state
from fastpath.lab.errors import LabError


def _sample() -> state.LabState:
    hosts = {}
    for spec in fleet.plan(2, 4):
        hs = state.HostState.from_spec(spec)
        hs.pid, hs.pid_start, hs.root = 1234, 5678, f"/var/lib/fastpath-lab/4/{spec.name}/root"
        hosts[spec.name] = hs
    return state.LabState(instance=4, size=2, image="/var/cache/fastpath/lab-image/abc", hosts=hosts)


def test_state_survives_a_round_trip():
    original = _sample()
    parsed = state.parse(original.to_json())
    assert parsed == original
    assert list(parsed.hosts) == ["srv1", "cli1"]


def test_save_and_load_use_the_instance_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "STATE_ROOT", tmp_path)
    assert state.load(4) is None
    state.save(_sample())
    assert (tmp_path / "4" / "state.json").is_file()
    assert state.load(4) == _sample()
    state.remove(4)
    assert state.load(4) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "unknown format"),
        (json.dumps({"format": 99, "hosts": []}), "unknown format"),
        (json.dumps({"format": 1, "instance": 0, "size": 1}), "missing or has a bad field"),
        (json.dumps({"format": 1, "instance": 0, "size": 1, "hosts": [{"name": "srv1"}]}),
         "missing or has a bad field"),
        (json.dumps({"format": 1, "instance": 0, "size": 1, "hosts": [
            {"name": "srv1", "group": "g", "address": "a", "netns": "n", "veth": "v", "pid": "12"}]}),
         "must be integers"),
    ],
)
def test_damaged_state_is_a_clear_error(text, message):
    with pytest.raises(LabError, match=message) as err:
        state.parse(text)
    assert "fastpath lab down" in str(err.value)
