# SPDX-License-Identifier: Apache-2.0
"""Filter of the os_facts role: which OS vars files a role's values are looked up in, most specific
first, as the linux-system-roles and geerlingguy's roles do: distribution and major version, then
distribution, then family (Ubuntu falls back to Debian's, Rocky and Fedora to RedHat's)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def os_vars_files(facts):
    """[<distribution>_<major>.yml, <distribution>.yml, <os_family>.yml], without repeats."""
    try:
        keys = ("distribution", "distribution_major_version", "os_family")
        distribution, major, family = (facts[k] for k in keys)
    except (KeyError, TypeError):
        raise AnsibleFilterError(
            "os_vars_files needs ansible_facts with distribution, distribution_major_version and os_family"
        ) from None
    names = [f"{distribution}_{major}.yml", f"{distribution}.yml", f"{family}.yml"]
    return list(dict.fromkeys(names))


class FilterModule:
    """fastpath.host.os_vars_files."""

    def filters(self):
        return {"os_vars_files": os_vars_files}
