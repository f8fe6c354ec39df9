"""fastpath.host.stage_stamp end to end on localhost, through ansible-runner: the action plugin's
inputs digest, the module's fingerprint, the facts given back and fastpath run's stage summary.

A play asks, "runs the stage" (writes a watched file and sets the fact it exports) where not
converged, and records. Re-running it skips; a changed variable, a drifted file or
fastpath_skip_converged=false make it run again."""

from __future__ import annotations

import textwrap

import pytest

from fastpath import runner

PLAYBOOK = textwrap.dedent(
    """\
    - name: A stage with a stamp
      hosts: all
      gather_facts: false
      vars:
        watched: ["{{ work }}/managed/*"]
      tasks:
        - name: Ask whether the stage converged.
          fastpath.host.stage_stamp:
            stage: demo
            stamp_dir: "{{ work }}/stamps"
            var_prefixes: [demo_]
            outputs: [demo_plan]
            paths: "{{ watched }}"
            commands: [[cat, "{{ work }}/managed/value"]]
            skip_converged: "{{ fastpath_skip_converged | default(true) }}"

        - name: The stage itself.
          when: not fastpath_stages.demo.converged
          block:
            - name: Write the managed value.
              ansible.builtin.copy:
                dest: "{{ work }}/managed/value"
                content: "{{ demo_value }}\\n"
                mode: "0644"
            - name: Export the plan.
              ansible.builtin.set_fact:
                demo_plan: {value: "{{ demo_value }}"}

        - name: Record (skipped by itself where the check said converged).
          fastpath.host.stage_stamp:
            stage: demo
            state: record
            stamp_dir: "{{ work }}/stamps"

        - name: Show what the later stages see.
          ansible.builtin.copy:
            dest: "{{ work }}/seen-plan"
            content: "{{ demo_plan.value }}\\n"
            mode: "0644"
    """
)


@pytest.fixture
def project(localhost_project):
    return localhost_project(PLAYBOOK, "managed")


def artifacts(project):
    path = project / f"artifacts-{len(list(project.glob('artifacts-*')))}"
    path.mkdir()
    return str(path)


def run(project, **extravars):
    summary = runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True,
        extravars={"work": str(project / "work"), "demo_value": "64", **extravars},
        artifact_dir=artifacts(project),
    )
    assert summary.failed_hosts == [], summary.table()
    return summary


def answer(summary):
    return summary.stages["demo"]["localhost"]


def test_a_converged_stage_is_skipped_and_its_facts_come_back(project):
    first = run(project)
    converged, why = answer(first)
    assert not converged and why.startswith("no stamp: ")
    second = run(project)
    converged, why = answer(second)
    assert converged and why.startswith("converged at ")
    assert second.hosts["localhost"].changed == 0
    assert (project / "work/seen-plan").read_text() == "64\n"
    assert "stage demo: skipped as converged on 1 of 1 host(s)" in second.table()


def test_a_changed_variable_runs_the_stage(project):
    run(project)
    converged, why = answer(run(project, demo_value="128"))
    assert not converged and why.startswith("inputs changed")
    assert (project / "work/managed/value").read_text() == "128\n"
    assert (project / "work/seen-plan").read_text() == "128\n"
    assert answer(run(project, demo_value="128"))[0]


def test_drift_runs_the_stage_and_is_named(project):
    run(project)
    (project / "work/managed/value").write_text("1\n")
    summary = run(project)
    converged, why = answer(summary)
    assert not converged
    assert f"path:{project}/work/managed/value" in why
    assert f"cmd:cat {project}/work/managed/value" in why
    assert f"localhost: ran, {why}" in summary.table()
    assert (project / "work/managed/value").read_text() == "64\n"


def test_a_new_file_in_a_watched_glob_is_drift(project):
    run(project)
    (project / "work/managed/extra").write_text("x\n")
    converged, why = answer(run(project))
    assert not converged and "(new)" in why


# As -e on the command line gives it: the string "false".
@pytest.mark.parametrize("off", [False, "false", "no"])
def test_skip_converged_off_runs_the_stage(project, off):
    run(project)
    converged, why = answer(run(project, fastpath_skip_converged=off))
    assert not converged and "fastpath_skip_converged: false" in why


def test_a_skip_converged_that_is_not_a_boolean_fails_before_the_stage(project):
    run(project)
    summary = runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True,
        extravars={"work": str(project / "work"), "demo_value": "64", "fastpath_skip_converged": "maybe"},
        artifact_dir=artifacts(project),
    )
    assert summary.failed_hosts == ["localhost"]
    assert "skip_converged" in " ".join(summary.hosts["localhost"].failures)


def test_check_mode_records_nothing(project):
    summary = runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True, check=True,
        extravars={"work": str(project / "work"), "demo_value": "64"},
        artifact_dir=artifacts(project),
    )
    assert not answer(summary)[0]
    assert not (project / "work/stamps/demo.json").exists()


def test_a_stage_that_is_to_run_loses_its_old_stamp_first(project):
    """So a stage that fails half-way leaves nothing behind that would vouch for it."""
    run(project)
    assert (project / "work/stamps/demo.json").exists()
    summary = runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True,
        extravars={"work": str(project / "work"), "demo_value": "{{ undefined_on_purpose }}"},
        artifact_dir=artifacts(project),
    )
    assert summary.failed_hosts == ["localhost"]
    assert not (project / "work/stamps/demo.json").exists()


def test_check_mode_runs_the_stage_even_where_it_converged(project):
    """--check --diff must show what the stage would change, watched or not."""
    run(project)
    assert answer(run(project))[0]
    summary = runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True, check=True,
        extravars={"work": str(project / "work"), "demo_value": "64"},
        artifact_dir=artifacts(project),
    )
    converged, why = answer(summary)
    assert not converged and why.startswith("check mode")
    assert (project / "work/stamps/demo.json").exists()  # check mode removes nothing either
