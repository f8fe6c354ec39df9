"""OS values chosen by facts: the candidate files (filter os_vars_files), and the roles' `os` entry
points run by ansible-playbook on localhost - with fake facts for Debian 12, Rocky 9 and an OS no role
knows, and once with the real facts of this machine read by os_facts' minimal subset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.filter.os_vars import os_vars_files

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(__file__).parent / "os_vars" / "play.yml"


def facts(distribution, major, family):
    return {"distribution": distribution, "distribution_major_version": major, "os_family": family}


def test_candidates_go_from_the_release_to_the_family():
    assert os_vars_files(facts("Debian", "12", "Debian")) == ["Debian_12.yml", "Debian.yml"]
    assert os_vars_files(facts("Ubuntu", "24", "Debian")) == ["Ubuntu_24.yml", "Ubuntu.yml", "Debian.yml"]
    assert os_vars_files(facts("Rocky", "9", "RedHat")) == ["Rocky_9.yml", "Rocky.yml", "RedHat.yml"]


def test_candidates_need_the_three_facts():
    with pytest.raises(AnsibleFilterError, match="distribution, distribution_major_version and os_family"):
        os_vars_files({"distribution": "Debian"})


def play(tmp_path: Path, fake: dict | None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run the test playbook; returns the run and what it wrote (the values each role loaded)."""
    out = tmp_path / "loaded.json"
    # The modules run with this test's Python, whatever interpreter discovery would find.
    extra = {"out": str(out), "fake_facts": fake or {}, "ansible_python_interpreter": sys.executable}
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(
        [str(REPO / ".venv/bin/ansible-playbook"), "-i", "localhost,", "-c", "local", str(PLAYBOOK),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False,
    )
    return run, (json.loads(out.read_text()) if out.exists() else {})


def test_debian_12_loads_the_debian_values_without_reading_facts_again(tmp_path):
    run, loaded = play(tmp_path, facts("Debian", "12", "Debian"))
    assert run.returncode == 0, run.stdout
    assert loaded["cpu_partition"] == {
        "grub_dropin": "/etc/default/grub.d/60-fastpath.cfg",
        "grub_update": ["update-grub"],
        "irqbalance_env_default": "/etc/default/irqbalance",
    }
    assert loaded["dataplane"]["build_packages"][:2] == ["clang", "llvm"]
    assert "libbpf-dev" in loaded["dataplane"]["build_packages"]
    assert loaded["dataplane"]["afxdp_packages"] == ["libxdp-dev"]
    assert loaded["dataplane"]["package_query"][0] == "dpkg-query"
    # The facts were there: os_facts read none (every setup task of the run was skipped).
    assert loaded["facts_read"] is False


def test_the_rhel_family_gets_its_irqbalance_file_and_no_grub_dropin_and_the_dataplane_stops(tmp_path):
    run, loaded = play(tmp_path, facts("Rocky", "9", "RedHat"))
    assert loaded["cpu_partition"] == {
        "grub_dropin": "", "grub_update": [], "irqbalance_env_default": "/etc/sysconfig/irqbalance",
    }
    assert run.returncode != 0
    assert ("fastpath.host.dataplane has no values for Rocky 9 (os_family RedHat): none of Rocky_9.yml, "
            "Rocky.yml, RedHat.yml in vars/ of the role. It supports Debian.") \
        in " ".join(run.stdout.split())


def test_an_os_no_role_knows_stops_at_the_first_role_naming_the_os_and_what_is_supported(tmp_path):
    run, loaded = play(tmp_path, facts("Gentoo", "2", "Gentoo"))
    assert run.returncode != 0 and loaded == {}
    assert ("fastpath.host.cpu_partition has no values for Gentoo 2 (os_family Gentoo): none of "
            "Gentoo_2.yml, Gentoo.yml in vars/ of the role. It supports Debian, RedHat.") \
        in " ".join(run.stdout.split())


def test_without_facts_the_minimal_subset_is_read_once(tmp_path):
    """This machine is Debian: its real facts pick Debian.yml, and os_facts read only the
    distribution's facts (no network or hardware facts), once for both roles."""
    run, loaded = play(tmp_path, None)
    assert run.returncode == 0, run.stdout
    assert loaded["facts_read"] is True and loaded["setup_runs"] == 1
    assert loaded["cpu_partition"]["grub_update"] == ["update-grub"]
    assert {"os_family", "distribution", "distribution_major_version"} <= set(loaded["fact_names"])
    assert not {"all_ipv4_addresses", "memtotal_mb", "processor_count"} & set(loaded["fact_names"])
