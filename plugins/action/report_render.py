# SPDX-License-Identifier: Apache-2.0
"""Controller side of fastpath.host.report_render: render a gathered run on the controller.

The report role writes one hosts/<host>.json per host into a run directory; this action turns them
into hosts/<host>.prom (node_exporter textfiles) and index.html with the renderer in plugin_utils,
the page opening with the verdict of the smoke results directories it is given (copied into smoke/).
Nothing runs on the managed host.
"""

from __future__ import annotations

from dataclasses import asdict

from ansible.plugins.action import ActionBase

from ansible_collections.fastpath.host.plugins.plugin_utils.report.build import build_run
from ansible_collections.fastpath.host.plugins.plugin_utils.report.errors import ReportError

ARGUMENT_SPEC = {
    "run_dir": {"type": "path", "required": True},
    "compare_to": {"type": "str", "default": ""},
    "missing": {"type": "list", "elements": "str", "default": []},
    # The smoke results directories of this run, and of its baseline before tuning (report role's
    # report_smoke_results / report_smoke_baseline).
    "smoke_results": {"type": "list", "elements": "path", "default": []},
    "smoke_baseline": {"type": "list", "elements": "path", "default": []},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if self._task.check_mode:
            result.update(changed=False, skipped=True, msg="check mode renders nothing")
            return result
        try:
            built = build_run(args["run_dir"], args["compare_to"] or None, args["missing"],
                              args["smoke_results"], args["smoke_baseline"])
        except ReportError as e:
            result.update(failed=True, msg=f"fastpath report: {e}")
            return result
        except OSError as e:
            result.update(failed=True, msg=f"fastpath report: cannot write into {args['run_dir']}: "
                                           f"{e.strerror or e} ({e.filename})")
            return result
        # Every render writes the run's files anew: a change on the controller, each time.
        result.update(changed=True, **asdict(built))
        # Shown by Ansible as warnings too: a smoke result the page could not use is worth a look.
        if built.smoke_warnings:
            result["warnings"] = list(built.smoke_warnings)
        return result
