# SPDX-License-Identifier: Apache-2.0
"""Controller side of fastpath.host.stage_stamp: the digest of a stage's inputs, then the module.

The inputs of a stage are everything that decides what it would do to a host: the variables the
operator can set for it (by prefix), the values it takes from earlier stages, the code it runs (its
roles, the collection's plugins, native/ for the dataplane, the stage's playbook). All of that
lives on the controller, so it is digested here, once per host, and only the digest travels.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.fastpath.host.plugins.plugin_utils import stage_watch

# plugins/action/stage_stamp.py -> the collection root (the repository itself, in place).
COLLECTION_ROOT = Path(__file__).resolve().parents[2]
# Build output and tool caches: not sources, and they change without the sources changing.
SKIPPED_DIRS = {"build", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".venv", ".git"}
MODULE_ARGS = ("stage", "state", "digest", "paths", "commands", "netdevs", "sysctl_files", "forget",
               "check_mode_runs_stage", "skip_converged", "stamp_dir")
# The fact that holds each stage's check of this run (public: docs/converged-stages.md).
STAGES_FACT = "fastpath_stages"


def digest_sources(root: Path, sources: list[str]) -> str:
    """One digest over every file under the given paths (sorted, by path relative to root, and
    content); a missing path is named in the digest rather than ignored."""
    root = root.resolve()
    sha = hashlib.sha256()
    files: list[Path] = []
    for source in sources:
        path = (root / source).resolve()
        if path.is_dir():
            files.extend(p for p in path.rglob("*")
                         if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(path).parts)
                         and p.suffix != ".pyc")
        elif path.is_file():
            files.append(path)
        else:
            sha.update(f"missing:{source}\n".encode())
    for path in sorted(set(files)):
        # Named relative to the root, so two clones at different places digest alike.
        name = path.relative_to(root) if path.is_relative_to(root) else path
        sha.update(f"{name}\n".encode())
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


# What a check reads and a record must read again, exactly: the record takes them from the check.
WATCH_ARGS = ("stage", "paths", "commands", "netdevs", "sysctl_files", "outputs")


class ActionModule(ActionBase):
    _VALID_ARGS = frozenset(MODULE_ARGS + ("outputs", "sources", "var_prefixes", "values", "roles", "entry"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        state = args.get("state", "check")
        stages = self._stages(task_vars)
        if state == "record":
            checked = stages.get(args.get("stage"))
            if checked is None or checked.get("converged"):
                # Converged: its stamp stands. No check in this run (--tags left it out): nothing to
                # vouch for.
                result.update(skipped=True, changed=False, skip_reason=(
                    "the stage converged here: its stamp stands" if checked
                    else f"no check of stage {args.get('stage')} in this run: nothing to record"))
                return result
            args.update(self._from_check(checked))
        elif state == "check" and "roles" in args:
            self._add_declared(args, task_vars)
        args.pop("roles", None)
        args.pop("entry", None)
        outputs = args.pop("outputs", []) or []
        if not isinstance(outputs, list) or not all(isinstance(n, str) for n in outputs):
            raise AnsibleActionFail("outputs must be a list of fact names")
        watch = {name: args[name] for name in WATCH_ARGS if name in args and name != "outputs"}
        watch["outputs"] = outputs
        if state == "check":
            args["digest"] = self._inputs_digest(args, task_vars, set(outputs))
        elif state == "record":
            # Values as the stage left them, for the later stages of a run that skips it.
            args["output_values"] = {
                name: self._value(task_vars, name) for name in outputs if name in task_vars}
        for name in ("sources", "var_prefixes", "values"):
            args.pop(name, None)
        result.update(self._execute_module(module_name="fastpath.host.stage_stamp", module_args=args,
                                           task_vars=task_vars))
        if state == "check" and not result.get("failed"):
            result["watch"] = watch
            check = {key: result.get(key) for key in ("converged", "reason", "digest")}
            stages[args["stage"]] = {**check, "watch": watch}
            result.setdefault("ansible_facts", {})[STAGES_FACT] = stages
        return result

    def _stages(self, task_vars) -> dict:
        """This run's checks so far, by stage (the fact the check sets and the record reads)."""
        stages = task_vars.get(STAGES_FACT) or {}
        stages = self._templar.template(stages) if stages else {}
        if not isinstance(stages, dict):
            raise AnsibleActionFail(f"{STAGES_FACT} is set, but not to a mapping of stages")
        return dict(stages)

    def _add_declared(self, args, task_vars) -> None:
        """The watch list and inputs the stage's roles declare (meta/stamp.yml), added to the args."""
        roles = args.get("roles")
        entry = args.get("entry") or "main"
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            raise AnsibleActionFail("roles must be a list of this collection's role names")
        declared = {
            name: stage_watch.declaration(self._loader, self._templar,
                                          stage_watch.role_dir(name), entry, task_vars)
            for name in roles}
        for key, value in stage_watch.combine(declared).items():
            if isinstance(value, dict):
                args[key] = {**value, **(args.get(key) or {})}
            else:
                args[key] = list(args.get(key) or []) + value

    @staticmethod
    def _from_check(checked) -> dict:
        """The record's stage, digest and watch list: those of the check made before the stage."""
        if not isinstance(checked, dict) or "digest" not in checked or "watch" not in checked:
            raise AnsibleActionFail(f"state=record needs this run's check of the stage in {STAGES_FACT}")
        return {"digest": checked["digest"], **checked["watch"]}

    def _value(self, task_vars, name):
        try:
            return self._templar.template(task_vars[name])
        except AnsibleError as exc:
            raise AnsibleActionFail(f"fact {name} of the stage cannot be kept: {exc}") from exc

    def _inputs_digest(self, args, task_vars, outputs: set[str]) -> str:
        prefixes = tuple(args.get("var_prefixes") or [])
        chosen = {}
        for name in sorted(task_vars):
            if prefixes and name.startswith(prefixes) and name not in outputs:
                try:
                    chosen[name] = self._templar.template(task_vars[name])
                except AnsibleError:
                    # Refers to something not defined here: its text is still an input.
                    chosen[name] = ["untemplated", str(task_vars[name])]
        # What every role's templates and modules depend on besides their own variables.
        ansible = {name: self._templar.template(task_vars.get(name)) for name in ("ansible_managed",)}
        ansible["version"] = (task_vars.get("ansible_version") or {}).get("full")
        ansible["os_family"] = (task_vars.get("ansible_facts") or {}).get("os_family")
        values = {"vars": chosen, "values": args.get("values") or {}, "ansible": ansible}
        sha = hashlib.sha256(json.dumps(values, sort_keys=True, default=repr).encode())
        sha.update(digest_sources(COLLECTION_ROOT, list(args.get("sources") or [])).encode())
        return sha.hexdigest()[:32]
