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
