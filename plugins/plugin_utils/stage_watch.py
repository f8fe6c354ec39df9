# SPDX-License-Identifier: Apache-2.0
"""What a stage watches, from the roles that make it: each role declares, once, in its own
meta/stamp.yml, what it manages (the files, sysfs and procfs entries it writes, the commands that
read back the rest, the facts it exports, the variables it reads). The stage_stamp action plugin
combines the declarations of a stage's roles into one watch list and one set of inputs, so no
playbook keeps a copy of what a role touches.

A declaration is templated the way the role itself would see it: the role's defaults under the
host's variables, then the role's vars/main.yml and its vars file for the host's OS (the one the
os_facts role would load), over them.
"""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleActionFail, AnsibleError

from ansible_collections.fastpath.host.plugins.filter.os_vars import os_vars_files
from ansible_collections.fastpath.host.plugins.plugin_utils import collection_roles

DECLARATION = "meta/stamp.yml"
# The keys a declaration's entry may hold: lists are joined over the roles, values merged.
LIST_KEYS = ("sources", "var_prefixes", "outputs", "paths", "commands", "netdevs", "sysctl_files")
DICT_KEYS = ("values",)
# The code every stage runs besides its roles: the collection's plugins and the playbooks that
# include the roles (the variables they put on an include are inputs too).
COMMON_SOURCES = ("plugins", "playbooks", "site.yml")


def role_dir(name: str) -> Path:
    """The role's directory; a role that declares nothing cannot be watched."""
    try:
        return collection_roles.role_dir(name, DECLARATION)
    except AnsibleError as exc:
        raise AnsibleActionFail(f"{exc} (a stage is watched through the declarations of its roles)") from None


def _load(loader, path: Path) -> dict:
    try:
        return collection_roles.load_vars(loader, path)
    except AnsibleError as exc:
        raise AnsibleActionFail(str(exc)) from None


def os_vars_file(role: Path, facts: dict) -> Path | None:
    """The role's vars file for this OS, most specific first, as os_facts chooses it."""
    try:
        names = os_vars_files(facts)
    except Exception:  # noqa: BLE001 - no OS facts yet: the role's main vars only
        return None
    for name in names:
        if (role / "vars" / name).is_file():
            return role / "vars" / name
    return None


def role_variables(loader, role: Path, task_vars: dict) -> dict:
    """The variables the role's tasks would see, in Ansible's order of precedence as far as it
    matters here: defaults < the host's variables < the role's vars (main, then the OS's)."""
    merged = _load(loader, role / "defaults" / "main.yml")
    merged.update(task_vars)
    merged.update(_load(loader, role / "vars" / "main.yml"))
    os_file = os_vars_file(role, task_vars.get("ansible_facts") or {})
    if os_file is not None:
        merged.update(_load(loader, os_file))
    merged["role_path"] = str(role)
    return merged


def declaration(loader, templar, role: Path, entry: str, task_vars: dict) -> dict:
    """One role's declared watch for one of its entry points, templated as the role sees it."""
    declared = _load(loader, role / DECLARATION)
    if entry not in declared:
        raise AnsibleActionFail(f"{role / DECLARATION} declares no entry point {entry!r} "
                                f"(it declares {', '.join(sorted(declared)) or 'none'})")
    raw = declared[entry] or {}
    unknown = set(raw) - set(LIST_KEYS) - set(DICT_KEYS)
    if unknown:
        raise AnsibleActionFail(f"{role / DECLARATION}, {entry}: unknown keys {sorted(unknown)}")
    env = templar.copy_with_new_env(available_variables=role_variables(loader, role, task_vars))
    try:
        value = env.template(raw)
    except Exception as exc:  # noqa: BLE001 - name the declaration that failed
        raise AnsibleActionFail(f"{role / DECLARATION}, {entry}: {exc}") from exc
    for key in LIST_KEYS:
        if not isinstance(value.get(key, []), list):
            raise AnsibleActionFail(f"{role / DECLARATION}, {entry}: {key} must be a list")
    return value


def combine(declared: dict[str, dict]) -> dict:
    """One stage's inputs and watch list from its roles' declarations (role -> declaration): each
    role's own directory and its prefix (<role>_, unless it declares others) are inputs."""
    combined: dict = {key: [] for key in LIST_KEYS}
    combined["values"] = {}
    for name, value in declared.items():
        short = name.rsplit(".", 1)[-1]
        combined["sources"].append(f"roles/{short}")
        combined["var_prefixes"].extend(value.get("var_prefixes") or [f"{short}_"])
        for key in LIST_KEYS:
            if key != "var_prefixes":
                combined[key].extend(value.get(key) or [])
        combined["values"].update(value.get("values") or {})
    combined["sources"].extend(COMMON_SOURCES)
    # Repeats dropped, first place kept: the watch list reads the same way run to run.
    for key in LIST_KEYS:
        seen, unique = set(), []
        for item in combined[key]:
            marker = repr(item)
            if marker not in seen:
                seen.add(marker)
                unique.append(item)
        combined[key] = unique
    return combined
