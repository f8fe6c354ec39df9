# SPDX-License-Identifier: Apache-2.0
"""Lookup fastpath.host.runs_dir: where fastpath keeps its runs on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
name: runs_dir
short_description: The directory on the controller where fastpath keeps its runs
description:
  - Returns one absolute path, the directory that the report, the smoke test and autotune write their
    runs under (the defaults of C(report_dir), C(smoke_test_results_dir) and C(autotune_results_dir)).
  - It is the variable C(fastpath_runs_dir) when that is set, else C(runs) in the directory
    C(ansible-playbook) was started from, which is the user's project directory. Never a directory
    inside the installed collection.
  - A relative C(fastpath_runs_dir) is taken from that same directory.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options: {}
"""

EXAMPLES = r"""
- name: Say where the runs go.
  ansible.builtin.debug:
    msg: "{{ lookup('fastpath.host.runs_dir') }}"

# In group_vars/all.yml, to keep every run of the report, the smoke test and autotune elsewhere:
# fastpath_runs_dir: /srv/fastpath/runs
"""

RETURN = r"""
_raw:
  description: The absolute path of the runs directory (it need not exist yet).
  type: list
  elements: path
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

RUNS = "runs"


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("fastpath.host.runs_dir takes no terms; set fastpath_runs_dir instead")
        chosen = (variables or {}).get("fastpath_runs_dir")
        if chosen is not None:
            chosen = self._templar.template(chosen)
            if not isinstance(chosen, str) or not chosen:
                raise AnsibleLookupError(f"fastpath_runs_dir must be a path; got {chosen!r}")
        return [os.path.abspath(os.path.expanduser(chosen or RUNS))]
