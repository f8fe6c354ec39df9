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

# plugins/action/stage_stamp.py -> the collection root (the repository itself, in place).
COLLECTION_ROOT = Path(__file__).resolve().parents[2]
# Build output and tool caches: not sources, and they change without the sources changing.
SKIPPED_DIRS = {"build", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".venv", ".git"}
MODULE_ARGS = ("stage", "state", "digest", "paths", "commands", "netdevs", "sysctl_files", "forget",
               "check_mode_runs_stage", "skip_converged", "stamp_dir")


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
    _VALID_ARGS = frozenset(MODULE_ARGS + ("outputs", "sources", "var_prefixes", "values", "checked"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        state = args.get("state", "check")
        if state == "record":
            args.update(self._from_check(args.pop("checked", None)))
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
        if state == "check":
            result["watch"] = watch
        return result

    @staticmethod
    def _from_check(checked) -> dict:
        """The record's stage, digest and watch list: those of the check registered before the stage."""
        if not isinstance(checked, dict) or "digest" not in checked or "watch" not in checked:
            raise AnsibleActionFail("state=record needs checked: the registered result of the stage's check")
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
