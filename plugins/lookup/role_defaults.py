# SPDX-License-Identifier: Apache-2.0
"""Lookup fastpath.host.role_defaults: the defaults of one of this collection's roles."""

from __future__ import annotations

DOCUMENTATION = r"""
name: role_defaults
short_description: The defaults of a role of the fastpath.host collection
description:
  - Returns the mapping in C(defaults/main.yml) of each named role of this collection, as Ansible
    loads it (values that are templates stay templates until used).
  - For a role that works with another role's variables without running it (autotune's baseline of
    the knobs the inventory does not set), so that the other role's defaults stay its one source.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  _terms:
    description: Role names, short (C(dataplane)) or full (C(fastpath.host.dataplane)).
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Show the dataplane role's default queue depth.
  ansible.builtin.debug:
    msg: "{{ lookup('fastpath.host.role_defaults', 'dataplane').dataplane_queue_depth }}"
"""

RETURN = r"""
_raw:
  description: One mapping of variable names to default values per role named.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.fastpath.host.plugins.plugin_utils import collection_roles


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if not terms:
            raise AnsibleLookupError("fastpath.host.role_defaults needs a role name of this collection")
        found = []
        for name in terms:
            if not isinstance(name, str):
                raise AnsibleLookupError(f"role_defaults: {name!r} is not a role name")
            try:
                role = collection_roles.role_dir(name, "defaults/main.yml")
                found.append(collection_roles.load_vars(self._loader, role / "defaults" / "main.yml"))
            except Exception as exc:  # noqa: BLE001 - the lookup's error names the role
                raise AnsibleLookupError(f"role_defaults: {exc}") from exc
        return found
