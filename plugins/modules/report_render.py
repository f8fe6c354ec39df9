# SPDX-License-Identifier: Apache-2.0
"""Documentation of the action plugin fastpath.host.report_render (it runs on the controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: report_render
short_description: Render a gathered fastpath report run into Prometheus textfiles and one HTML page
description:
  - Reads every C(hosts/<host>.json) of a run directory on the controller (the documents the
    C(fastpath.host.report) role writes) and writes C(hosts/<host>.prom), a node_exporter textfile per
    host, and C(index.html), one self-contained page for the whole run.
  - With O(compare_to), the page also shows what changed on each host since an earlier run.
  - Runs on the controller only; nothing is done on the managed host.
version_added: "0.1.0"
author: fastpath developers (!UNKNOWN)
options:
  run_dir:
    description: The run directory on the controller, holding C(hosts/<host>.json).
    type: path
    required: true
  compare_to:
    description:
      - Earlier run to show the differences from. V("") for none, V(previous) for the latest run before
        this one beside it, or a run directory (absolute, or a run name beside O(run_dir)).
    type: str
    default: ""
  missing:
    description: Hosts of the play that gave no data; the page names them.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: none
    details: In check mode nothing is rendered; the task is skipped.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - A run directory that does not exist, a host document that is not JSON or not of schema
    C(fastpath.report/1), or a comparison run that cannot be found fails the task with one line
    saying which; a file that cannot be written fails it with the path and the reason.
"""

EXAMPLES = r"""
- name: Render the run, compared with the one before it.
  fastpath.host.report_render:
    run_dir: /srv/fastpath/runs/20250131T120000Z-after
    compare_to: previous
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
run_dir:
  description: The run directory rendered.
  returned: success
  type: str
index:
  description: The HTML page written.
  returned: success
  type: str
  sample: /srv/fastpath/runs/20250131T120000Z-after/index.html
textfiles:
  description: The Prometheus textfiles written, one per host.
  returned: success
  type: list
  elements: str
hosts:
  description: The hosts rendered.
  returned: success
  type: list
  elements: str
compared_with:
  description: The earlier run compared with, or null.
  returned: success
  type: str
notes:
  description: What the page says about the run as a whole (for example that there was no earlier run).
  returned: success
  type: list
  elements: str
"""
