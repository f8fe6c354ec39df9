"""What a stage watches comes from its roles' own declarations (roles/*/meta/stamp.yml), templated as
each role sees them: its defaults under the host's variables, its vars and its OS vars file over them.
Run through ansible-runner on localhost (the real action plugin and module); the play writes the
fact the check sets, fastpath_stages, where the test reads it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from fastpath import runner

ROOT = Path(__file__).resolve().parents[3]
TUNE_ROLES = ["fastpath.host.sysctl_tuning", "fastpath.host.cpu_partition", "fastpath.host.nic_tuning",
              "fastpath.host.host_metrics"]
KNOWN_KEYS = {"sources", "var_prefixes", "outputs", "paths", "commands", "netdevs", "sysctl_files", "values"}

PLAYBOOK = textwrap.dedent(
    """\
    - name: Ask a stage what its roles watch
      hosts: all
      gather_facts: false
      tasks:
        - name: Read the OS facts the OS vars files are chosen by.
          ansible.builtin.include_role:
            name: fastpath.host.os_facts
        - name: Check the stage (check mode reads, records nothing).
          fastpath.host.stage_stamp:
            stage: "{{ stage }}"
            roles: "{{ roles }}"
            entry: "{{ entry | default('main') }}"
            stamp_dir: "{{ work }}/stamps"
        - name: Keep what it read.
          ansible.builtin.copy:
            dest: "{{ work }}/stages.json"
            content: "{{ fastpath_stages | to_json }}"
            mode: "0644"
          check_mode: false
    """
)


@pytest.fixture
def project(localhost_project):
    return localhost_project(PLAYBOOK)


def play(project, stage, roles, entry="main", **extravars):
    """The stage's check, in check mode: it reads the host and changes nothing."""
    artifacts = project / f"artifacts-{len(list(project.glob('artifacts-*')))}"
    artifacts.mkdir()
    return runner.run_playbook(
        project, "play.yml", inventory=str(project / "inventory.yml"), quiet=True, check=True,
        extravars={"work": str(project / "work"), "stage": stage, "roles": roles, "entry": entry,
                   **extravars},
        artifact_dir=str(artifacts),
    )


def watch(project, stage, roles, entry="main", **extravars):
    """What the check answered and read: the stage's entry in fastpath_stages."""
    summary = play(project, stage, roles, entry, **extravars)
    assert summary.failed_hosts == [], summary.table()
    return json.loads((project / "work/stages.json").read_text())[stage]


def failure(project, stage, roles, entry="main"):
    summary = play(project, stage, roles, entry)
    assert summary.failed_hosts == ["localhost"]
    return " ".join(summary.hosts["localhost"].failures)


DECLARATIONS = sorted(ROOT.glob("roles/*/meta/stamp.yml"))


@pytest.mark.parametrize("declaration", DECLARATIONS, ids=lambda p: p.parts[-3])
def test_each_declaration_holds_only_known_keys(declaration):
    entries = yaml.safe_load(declaration.read_text())
    assert entries, declaration
    for entry, keys in entries.items():
        assert set(keys) <= KNOWN_KEYS, (declaration, entry)


def test_the_tune_stage_watches_what_each_of_its_roles_declares(project):
    seen = watch(project, "tune", TUNE_ROLES)["watch"]
    # sysctl_tuning: its persist file (a role default), per-device NAPI values on {netdev}
    assert "/etc/sysctl.d/60-fastpath.conf" in seen["sysctl_files"]
    assert "/sys/class/net/{netdev}/napi_defer_hard_irqs" in seen["paths"]
    # cpu_partition: from its OS vars file (vars/Debian.yml on this machine)
    assert "/etc/default/grub.d/60-fastpath.cfg" in seen["paths"]
    # nic_tuning: one read-back command per ethtool group and per flow type of the default flow hash
    for argv in (["ethtool", "-l", "{netdev}"], ["ethtool", "-g", "{netdev}"], ["ethtool", "-c", "{netdev}"],
                 ["ethtool", "-n", "{netdev}", "rx-flow-hash", "udp4"],
                 ["ethtool", "-n", "{netdev}", "rx-flow-hash", "udp6"]):
        assert argv in seen["commands"]
    # host_metrics: its timer
    assert ["systemctl", "show", "--property=LoadState,UnitFileState,ActiveState,NeedDaemonReload",
            "fastpath-textfile.timer"] in seen["commands"]
    exported = {"cpu_partition_plan", "sysctl_tuning_not_applied", "nic_tuning_not_applied"}
    assert exported <= set(seen["outputs"])
    assert seen["netdevs"] == ["eth0"]


def test_the_host_s_variables_override_a_role_s_defaults_in_what_is_watched(project):
    seen = watch(project, "tune", TUNE_ROLES, nic_tuning_interface="ens9",
                 sysctl_tuning_persist_file="/etc/sysctl.d/77-mine.conf",
                 nic_tuning_rx_flow_hash={"udp4": "sd"})["watch"]
    assert seen["netdevs"] == ["ens9"]
    assert "/etc/sysctl.d/77-mine.conf" in seen["paths"]
    assert "/etc/sysctl.d/60-fastpath.conf" not in seen["sysctl_files"]
    assert ["ethtool", "-n", "{netdev}", "rx-flow-hash", "udp4"] in seen["commands"]
    assert ["ethtool", "-n", "{netdev}", "rx-flow-hash", "udp6"] not in seen["commands"]


def test_a_changed_role_variable_changes_the_inputs_digest(project):
    first = watch(project, "tune", TUNE_ROLES)["digest"]
    assert watch(project, "tune", TUNE_ROLES)["digest"] == first
    assert watch(project, "tune", TUNE_ROLES, cpu_partition_layout="shared")["digest"] != first


def test_each_dataplane_entry_point_watches_its_own(project):
    server = watch(project, "deploy-server", ["fastpath.host.dataplane"], entry="server")["watch"]
    loadgen = watch(project, "deploy-loadgen", ["fastpath.host.dataplane"], entry="loadgen")["watch"]
    assert "/opt/fastpath/bin/fastpath-server" in server["paths"]
    assert "/opt/fastpath/bin/fastpath-server" not in loadgen["paths"]
    assert "/opt/fastpath/bin/fastpath-loadgen" in loadgen["paths"]
    assert server["outputs"] == ["dataplane_status"] and loadgen["outputs"] == []
    # The package query of this OS (vars/Debian.yml) with the build packages after it.
    packages = next(argv for argv in loadgen["commands"] if argv[0] == "dpkg-query")
    assert {"clang", "liburing-dev", "libbpf-dev"} <= set(packages)
    assert server["netdevs"] == ["default-route"]


def test_a_role_without_a_declaration_is_refused_by_name(project):
    assert "role 'fastpath.host.report': no meta/stamp.yml" in failure(project, "x", ["fastpath.host.report"])


def test_an_entry_point_a_role_does_not_declare_is_refused_by_name(project):
    message = failure(project, "x", ["fastpath.host.dataplane"], entry="main")
    assert "declares no entry point 'main' (it declares loadgen, server)" in message
