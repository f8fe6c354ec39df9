# SPDX-License-Identifier: Apache-2.0
"""Ansible inventory plugin fastpath_lab: the hosts of the built-in lab fleet.

Part of the fastpath CLI package, not of the collection: the lab is this project's own test fleet,
and the plugin reads it through the package (fastpath.lab). ansible.cfg points Ansible at this
directory (inventory_plugins), so `ansible -i inventories/lab` works from a clone.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

try:
    from fastpath.lab import fleet, paths, state
    from fastpath.lab.errors import LabError
except ImportError as exc:  # reported when the inventory is parsed, not at import
    FASTPATH_IMPORT_ERROR = exc
else:
    FASTPATH_IMPORT_ERROR = None

DOCUMENTATION = r"""
---
name: fastpath_lab
short_description: The fastpath lab fleet brought up by C(fastpath lab up)
description:
  - Lists the hosts of one lab instance from its state file (C(/var/lib/fastpath-lab/N/state.json))
    when the lab is up, else the default 3-host fleet, so the fleet is always visible and a down lab
    shows up as unreachable hosts (with a warning saying why) rather than as an empty inventory.
  - Each host carries C(fastpath_lab_kind), C(netns) for a systemd-nspawn host or C(vm) for a QEMU VM
    (whose C(fastpath_lab_netns) is empty).
  - Groups C(dataplane_servers), C(load_clients) and C(lab) (every lab host).
  - Needs the C(fastpath) Python package (C(make setup) installs it into the virtual environment).
version_added: "0.1.0"
author: fastpath engineers
options:
  plugin:
    description: Marks the file as this plugin's configuration.
    required: true
    type: str
    choices: [fastpath_lab]
  instance:
    description:
      - The lab instance (0-15); instance N lives in 198.18.N.0/24.
      - The environment variable E(FASTPATH_LAB_INSTANCE), when set, wins over this option, so
        molecule and the tests can reuse one inventory directory with their own instance.
    type: int
    default: 0
"""

EXAMPLES = r"""
# inventories/lab/lab.yml
plugin: fastpath_lab
instance: 0

# The same inventory pointed at instance 2:
#   FASTPATH_LAB_INSTANCE=2 ansible -i inventories/lab all -m ansible.builtin.ping
"""

LAB_GROUP = "lab"


class InventoryModule(BaseInventoryPlugin):
    NAME = "fastpath_lab"

    def verify_file(self, path):
        return super().verify_file(path) and os.path.basename(path) in ("lab.yml", "lab.yaml")

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        if FASTPATH_IMPORT_ERROR is not None:
            raise AnsibleParserError(f"the fastpath package is not importable ({FASTPATH_IMPORT_ERROR}); "
                                     "run `make setup` and use the ansible from .venv/bin")
        try:
            instance = fleet.instance_from_env(default=self.get_option("instance"))
            fleet.validate_instance(instance)
            recorded = state.load(instance)
        except LabError as err:
            raise AnsibleParserError(f"lab inventory {path}: {err}") from err
        if recorded is None:
            self.display.warning(f"lab instance {instance} is down: listing its default fleet, which is "
                                 f"unreachable until `fastpath lab up --instance {instance}`")
            hosts = [(s.name, s.group, s.address, s.netns, "netns")
                     for s in fleet.plan(fleet.DEFAULT_SIZE, instance)]
        else:
            hosts = [(h.name, h.group, h.address, h.netns, h.kind) for h in recorded.hosts.values()]
        for group in (LAB_GROUP, fleet.SERVER_GROUP, fleet.CLIENT_GROUP):
            self.inventory.add_group(group)
        for name, group, address, netns, kind in hosts:
            self.inventory.add_host(name, group=group)
            self.inventory.add_child(LAB_GROUP, name)
            host_vars = {
                "ansible_host": address,
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(paths.SSH_KEY),
                "ansible_python_interpreter": "/usr/bin/python3",
                "fastpath_lab_netns": netns,
                # "netns" (an nspawn host: no IRQs, no kernel of its own) or "vm" (a QEMU VM).
                "fastpath_lab_kind": kind,
                "fastpath_lab_instance": instance,
            }
            for key, value in host_vars.items():
                self.inventory.set_variable(name, key, value)
