# SPDX-License-Identifier: Apache-2.0
"""Filters of playbooks/autotune.yml: the next trial, the best one, the table of what was tried.

The logic lives in module_utils/autotune.py so unit tests call it without Ansible; these wrappers turn
bad input into a readable AnsibleFilterError instead of a traceback.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fastpath.host.plugins.module_utils import autotune


def _call(what, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except (autotune.AutotuneInputError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"autotune: cannot {what}: {exc}") from None


def autotune_next(trials, candidates, baseline, elapsed_s, budget_s, patience, min_gain_pct, max_trials):
    """{"stop": "", "config", "step", "knob"} for the next trial, or {"stop": "<why the sweep ends>"}."""
    return _call("choose the next trial", autotune.next_trial, list(trials), dict(candidates), dict(baseline),
                 elapsed_s=float(elapsed_s), budget_s=float(budget_s), patience=int(patience),
                 min_gain_pct=float(min_gain_pct), max_trials=int(max_trials))


def autotune_best(trials, min_gain_pct):
    """The trial to keep (the baseline unless a later one beat it by more than the noise)."""
    if not trials:
        raise AnsibleFilterError("autotune: no trial ran, so there is no best setting to keep")
    return _call("choose the best trial", autotune.best_trial, list(trials), float(min_gain_pct))


def autotune_table(trials, knobs, min_gain_pct):
    """The table of every trial: settings, replies/s, loss, p99, and the one kept."""
    return _call("render the table", autotune.table, list(trials), list(knobs), float(min_gain_pct))


class FilterModule:
    """fastpath.host.autotune_next, autotune_best, autotune_table."""

    def filters(self):
        return {"autotune_next": autotune_next, "autotune_best": autotune_best,
                "autotune_table": autotune_table}
