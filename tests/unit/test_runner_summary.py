"""fastpath run's summary, folded from the events of real ansible-runner runs on localhost."""

import textwrap

import pytest

from fastpath import runner

PLAYBOOK = textwrap.dedent(
    """\
    - name: First play
      hosts: all
      gather_facts: false
      tasks:
        - name: Report ok without change.
          ansible.builtin.command: "true"
          changed_when: false
        - name: Report a change.
          ansible.builtin.command: "true"
        - name: Fail on the host named bad.
          ansible.builtin.fail:
            msg: "bad host is bad"
          when: inventory_hostname == 'bad'
    - name: Second play
      hosts: all
      gather_facts: false
      tasks:
        - name: Change again on the hosts still standing.
          ansible.builtin.command: "true"
    """
)

INVENTORY = textwrap.dedent(
    """\
    all:
      vars:
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
      hosts:
        good: {}
        bad: {}
    """
)


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    (project / "play.yml").write_text(PLAYBOOK)
    (project / "inventory.yml").write_text(INVENTORY)
    return runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True,
        artifact_dir=str(tmp_path_factory.mktemp("artifacts")),
    )


def test_counts_per_host_come_from_the_stats_event(summary):
    assert summary.hosts["good"].ok == 3
    assert summary.hosts["good"].changed == 2
    assert summary.hosts["good"].failed == 0
    assert summary.hosts["bad"].failed == 1
    assert summary.hosts["bad"].changed == 1


def test_failed_host_is_named_with_the_task_and_message(summary):
    assert summary.failed_hosts == ["bad"]
    assert summary.hosts["bad"].failures == ["Fail on the host named bad.: bad host is bad"]
    assert "bad" in summary.table() and "FAILED" in summary.table()


def test_changes_are_counted_per_play(summary):
    # good changed once in each play; bad changed once in the first and was gone by the second
    assert summary.changed_by_play == {"First play": 2, "Second play": 1}


def test_runner_status_reports_the_failure(summary):
    assert summary.status == "failed" and summary.rc != 0


@pytest.mark.parametrize("stage", ["nonsense", "../site"])
def test_unknown_stage_is_refused_with_the_choices(stage):
    with pytest.raises(ValueError, match="unknown stage"):
        runner.playbook_for(stage)


# The rollout's shape in miniature: the plan's fact, then a serial play whose first wave fails on
# one host, so the second wave never starts.
WAVES_PLAYBOOK = textwrap.dedent(
    """\
    - name: Plan
      hosts: servers
      gather_facts: false
      tasks:
        - name: Split the servers into waves.
          ansible.builtin.set_fact:
            fastpath_waves: "{{ ansible_play_hosts_all | fastpath.host.rollout_waves(1) }}"
          run_once: true
    - name: Waves
      hosts: servers
      gather_facts: false
      serial: "{{ ansible_play_hosts_all | fastpath.host.rollout_waves(1) | map('length') | list }}"
      max_fail_percentage: 0
      tasks:
        - name: Note the wave of this server.
          ansible.builtin.set_fact:
            fastpath_wave: "{{ ansible_play_hosts_all | fastpath.host.rollout_waves(1)
                               | fastpath.host.rollout_wave_of(inventory_hostname) }}"
        - name: Fail the canary.
          ansible.builtin.fail:
            msg: gate min_rate failed
          when: inventory_hostname == 'srv1'
    """
)

WAVES_INVENTORY = textwrap.dedent(
    """\
    all:
      vars:
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
      children:
        servers:
          hosts: {srv1: {}, srv2: {}, srv3: {}}
        clients:
          hosts: {cli1: {}}
    """
)


@pytest.fixture(scope="module")
def waves_summary(tmp_path_factory):
    project = tmp_path_factory.mktemp("waves")
    (project / "play.yml").write_text(WAVES_PLAYBOOK)
    (project / "inventory.yml").write_text(WAVES_INVENTORY)
    return runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True,
        artifact_dir=str(tmp_path_factory.mktemp("artifacts")),
    )


def test_the_waves_come_from_the_plan_and_the_wave_facts(waves_summary):
    assert waves_summary.waves == [["srv1"], ["srv2", "srv3"]]
    # srv2 and srv3 never got a wave fact: their wave never started
    assert waves_summary.wave_of == {"srv1": 1}


def test_the_table_groups_hosts_by_wave_and_says_which_never_started(waves_summary):
    lines = waves_summary.table().splitlines()
    titles = [line for line in lines if line.startswith(("wave ", "not in a wave"))]
    assert titles == ["wave 1 of 2 (canary): FAILED", "wave 2 of 2: not started, its servers untouched"]
    body = [line.split()[0] for line in lines[2:] if line and not line.startswith((" ", "wave ", "not in"))]
    assert body[:3] == ["srv1", "srv2", "srv3"]
    first_srv1 = next(i for i, x in enumerate(lines) if x.startswith("srv1"))
    assert lines.index("wave 1 of 2 (canary): FAILED") == first_srv1 - 1
    assert "  srv1: Fail the canary.: gate min_rate failed" in lines


def test_a_run_without_waves_keeps_the_plain_table(summary):
    assert summary.waves == [] and not any(line.startswith("wave ") for line in summary.table().splitlines())
