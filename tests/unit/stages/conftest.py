"""The stage tests' project on the controller itself: a playbook, an inventory of localhost alone
(a local connection, the controller's own Python) and a work directory the playbook writes in."""

from __future__ import annotations

import textwrap

import pytest

LOCALHOST_INVENTORY = textwrap.dedent(
    """\
    all:
      hosts:
        localhost:
          ansible_connection: local
          ansible_python_interpreter: "{{ ansible_playbook_python }}"
    """
)


@pytest.fixture
def localhost_project(tmp_path):
    """make(playbook, work_subdir="") -> the project directory, with play.yml and inventory.yml."""
    def make(playbook: str, work_subdir: str = ""):
        (tmp_path / "play.yml").write_text(playbook)
        (tmp_path / "inventory.yml").write_text(LOCALHOST_INVENTORY)
        (tmp_path / "work" / work_subdir).mkdir(parents=True)
        return tmp_path
    return make
