"""The lab inventory plugin (fastpath_lab), run by ansible-inventory against state files in a temp dir."""

import json
import os
import subprocess
from pathlib import Path

from fastpath.lab import fleet, state

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_INVENTORY = REPO / ".venv" / "bin" / "ansible-inventory"


def _inventory(tmp_path: Path, instance: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "FASTPATH_LAB_STATE": str(tmp_path), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    env.pop("FASTPATH_LAB_INSTANCE", None)
    if instance is not None:
        env["FASTPATH_LAB_INSTANCE"] = instance
    return subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(REPO / "inventories/lab"), "--list"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False)


def _plain(value):
    """ansible-inventory marks strings from plugins as unsafe ({"__ansible_unsafe": "..."}): unwrap."""
    if isinstance(value, dict):
        return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else {
            k: _plain(v) for k, v in value.items()}
    return value


def _write_state(root: Path, instance: int, size: int) -> None:
    hosts = {s.name: state.HostState.from_spec(s) for s in fleet.plan(size, instance)}
    (root / str(instance)).mkdir(parents=True)
    (root / str(instance) / "state.json").write_text(
        state.LabState(instance=instance, size=size, hosts=hosts).to_json())


def test_a_running_lab_is_listed_from_its_state(tmp_path):
    _write_state(tmp_path, 4, 5)
    proc = _inventory(tmp_path, "4")
    assert proc.returncode == 0, proc.stderr
    inv = _plain(json.loads(proc.stdout))
    assert sorted(inv["dataplane_servers"]["hosts"]) == ["srv1", "srv2", "srv3", "srv4"]
    assert inv["load_clients"]["hosts"] == ["cli1"]
    assert sorted(inv["lab"]["hosts"]) == ["cli1", "srv1", "srv2", "srv3", "srv4"]
    cli1 = inv["_meta"]["hostvars"]["cli1"]
    assert cli1["ansible_host"] == "198.18.4.101"
    assert cli1["ansible_user"] == "root"
    assert cli1["ansible_ssh_private_key_file"] == str(tmp_path / "ssh" / "id_ed25519")
    assert cli1["ansible_python_interpreter"] == "/usr/bin/python3"
    assert cli1["fastpath_lab_netns"] == "fp4-cli1"
    assert cli1["fastpath_lab_instance"] == 4
    assert "StrictHostKeyChecking=no" in cli1["ansible_ssh_common_args"]


def test_a_lab_that_is_down_lists_the_default_fleet_and_says_why(tmp_path):
    proc = _inventory(tmp_path, None)  # instance 0 from lab.yml
    assert proc.returncode == 0, proc.stderr
    inv = _plain(json.loads(proc.stdout))
    assert sorted(inv["lab"]["hosts"]) == ["cli1", "srv1", "srv2"]
    assert inv["_meta"]["hostvars"]["srv2"]["ansible_host"] == "198.18.0.12"
    assert "lab instance 0 is down" in proc.stderr


def test_damaged_state_fails_the_inventory_with_the_reason(tmp_path):
    (tmp_path / "3").mkdir()
    (tmp_path / "3" / "state.json").write_text("{")
    proc = _inventory(tmp_path, "3")
    assert "lab state is not valid JSON" in proc.stderr


def test_a_bad_instance_in_the_environment_fails_with_the_reason(tmp_path):
    proc = _inventory(tmp_path, "16")
    assert "lab instance must be between 0 and 15, got 16" in proc.stderr
