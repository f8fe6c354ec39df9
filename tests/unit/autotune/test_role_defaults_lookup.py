"""fastpath.host.role_defaults: autotune's baseline of the knobs the inventory does not set comes from
the other roles' own defaults files, read through this lookup, never by a path of autotune's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader

from ansible_collections.fastpath.host.plugins.lookup.role_defaults import LookupModule

ROOT = Path(__file__).resolve().parents[3]


def lookup(*names):
    return LookupModule(loader=DataLoader()).run(list(names))


@pytest.mark.parametrize("name", ["dataplane", "fastpath.host.cpu_partition"])
def test_it_gives_the_role_s_own_defaults(name):
    short = name.rsplit(".", 1)[-1]
    expected = yaml.safe_load((ROOT / "roles" / short / "defaults/main.yml").read_text())
    [found] = lookup(name)
    assert dict(found) == expected


def test_one_mapping_per_role_in_order():
    dataplane, cpu_partition = lookup("dataplane", "cpu_partition")
    assert "dataplane_queue_depth" in dataplane and "cpu_partition_rps" in cpu_partition


@pytest.mark.parametrize("name", ["nope", "../dataplane", "ansible.builtin.dataplane", ""])
def test_a_name_that_is_no_role_of_this_collection_is_refused(name):
    with pytest.raises(AnsibleLookupError, match="role_defaults: role"):
        lookup(name)


def test_autotune_reads_no_other_role_by_path():
    text = (ROOT / "roles/autotune/vars/main.yml").read_text()
    assert "/defaults/main.yml" not in text and "role_defaults" in text
