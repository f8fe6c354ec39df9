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
  - The page opens with the smoke verdict of every server in O(smoke_results) (its wave, PASS/FAIL,
    every gate, replies/s, loss and p99, linked to the host's state on the same page), and before ->
    after for the servers also in O(smoke_baseline). Without O(smoke_results) it says in one line that
    no smoke test ran.
  - The smoke results directories read are copied into C(smoke/<name>/) of the run, so the run
    directory alone holds the page and the measurements behind its verdict.
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
  smoke_results:
    description:
      - The smoke results directories of this run on the controller, one per wave (each with
        C(summary.json) and C(servers/<server>.json) as the C(fastpath.host.smoke_test) role writes
        them). A server in several of them shows its latest.
      - Only the directories named count; the results directory holding them is never searched.
    type: list
    elements: path
    default: []
  smoke_baseline:
    description: The smoke results directories measured before tuning, shown as before -> after.
    type: list
    elements: path
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
  - A smoke results directory or file that is missing, not JSON or not of schema C(fastpath.smoke/1)
    does not fail the task; the page and the task's warnings name it, and its server shows as
    C(UNREADABLE) (or is left out when the whole summary is unreadable).
"""

EXAMPLES = r"""
- name: Render the run, compared with the one before it.
  fastpath.host.report_render:
    run_dir: /srv/fastpath/runs/20250131T120000Z-after
    compare_to: previous
    smoke_results:
      - /srv/fastpath/runs/20250131T115500Z-smoke-after-wave1
      - /srv/fastpath/runs/20250131T115800Z-smoke-after-wave2
    smoke_baseline:
      - /srv/fastpath/runs/20250131T114000Z-smoke-before
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
verdict:
  description: One line per server smoke-tested in this run, its wave and result.
  returned: success
  type: list
  elements: str
  sample: ["srv1 wave 1 PASS", "srv2 wave 2 PASS"]
smoke_warnings:
  description: The smoke results that could not be read, one line each (also the task's warnings).
  returned: success
  type: list
  elements: str
"""
