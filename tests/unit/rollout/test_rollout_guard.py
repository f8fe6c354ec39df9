"""waves.yml's wave guard, on local hosts: a wave that lost a server to unreachability stops the
rollout, which Ansible's max_fail_percentage alone does not do (it counts failed hosts only).

The play is built from waves.yml's own play: its serial, max_fail_percentage, vars and first task,
then the guard's task file; the hosts are local connections and one SSH host on a closed loopback
port (unreachable at once)."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from fastpath import runner

WAVES = runner.REPO / "playbooks" / "waves.yml"
GUARD = runner.REPO / "playbooks" / "tasks" / "rollout_guard.yml"

INVENTORY = textwrap.dedent(
    """\
    all:
      vars:
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
      children:
        dataplane_servers:
          hosts:
            srv1: {}
            srv2: {ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1}
            srv3: {}
            srv4: {}
    """
)


def guard_play() -> list[dict]:
    [wave_play] = yaml.safe_load(WAVES.read_text())
    keep = {k: wave_play[k] for k in ("hosts", "serial", "max_fail_percentage")}
    play_vars = {k: v for k, v in wave_play["vars"].items() if not k.startswith("smoke_test_")}
    return [{
        "name": "Waves", "gather_facts": False, **keep, "vars": play_vars,
        "tasks": [
            wave_play["tasks"][0],  # the wave fact
            {"name": "Reach the server.", "ansible.builtin.ping": None},
            {"name": "Guard.", "ansible.builtin.import_tasks": str(GUARD)},
        ],
    }]


def run(tmp_path_factory, **extravars):
    project = tmp_path_factory.mktemp("guard")
    (project / "play.yml").write_text(yaml.safe_dump(guard_play(), sort_keys=False))
    (project / "inventory.yml").write_text(INVENTORY)
    return runner.run_playbook(project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True,
                               extravars={"fastpath_canary": 2, "fastpath_wave_size": 1, **extravars},
                               artifact_dir=str(tmp_path_factory.mktemp("artifacts")))


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    return run(tmp_path_factory)


def test_an_unreachable_server_stops_the_rollout_at_its_wave(stopped):
    # waves: [srv1, srv2], [srv3], [srv4]; srv2 unreachable in the canary wave
    assert stopped.hosts["srv2"].unreachable == 1
    assert stopped.wave_of == {"srv1": 1, "srv2": 1}, stopped.table()
    assert "srv3" not in stopped.hosts and "srv4" not in stopped.hosts, stopped.table()
    assert stopped.rc != 0


def test_the_guard_names_the_lost_server_and_the_servers_left_untouched(stopped):
    [message] = [f for f in stopped.hosts["srv1"].failures if "Guard" in f or "lost" in f]
    assert "wave 1 of 3 lost srv2 (failed or unreachable): 50.0% of its servers" in message, message
    assert "more than fastpath_max_fail_percent=0. The rollout stops; not touched: srv3, srv4." in message


def test_within_fastpath_max_fail_percent_the_next_waves_run(tmp_path_factory):
    summary = run(tmp_path_factory, fastpath_max_fail_percent=50)
    assert summary.wave_of == {"srv1": 1, "srv2": 1, "srv3": 2, "srv4": 3}, summary.table()
    assert summary.failed_hosts == ["srv2"], summary.table()
