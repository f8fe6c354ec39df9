"""Run site.yml or one stage through ansible-runner and summarise the run from its events.

The summary is built from the runner's event stream rather than by parsing Ansible's text output, so
it stays right whatever stdout callback the operator configures.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGES = ("preflight", "tune", "deploy", "smoke", "report", "restore", "autotune", "verify")


@dataclasses.dataclass
class HostResult:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RunSummary:
    status: str = "unknown"
    rc: int | None = None
    hosts: dict[str, HostResult] = dataclasses.field(default_factory=dict)
    # play name -> number of tasks that reported changed in it, over all hosts
    changed_by_play: dict[str, int] = dataclasses.field(default_factory=dict)
    # stage -> host -> (converged, why): each stage_stamp check of the run (converged stages are skipped)
    stages: dict[str, dict[str, tuple[bool, str]]] = dataclasses.field(default_factory=dict)
    # The rollout's waves as planned (site.yml's fact fastpath_waves), and the wave each server
    # started in (fact fastpath_wave): a planned wave no server started in was never touched.
    waves: list[list[str]] = dataclasses.field(default_factory=list)
    wave_of: dict[str, int] = dataclasses.field(default_factory=dict)

    def host(self, name: str) -> HostResult:
        return self.hosts.setdefault(name, HostResult())

    def add_event(self, event: dict) -> None:
        """Fold one ansible-runner event into the summary."""
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        host = data.get("host")
        if kind == "runner_on_ok" and host:
            res = data.get("res") or {}
            if res.get("changed"):
                play = data.get("play", "")
                self.changed_by_play[play] = self.changed_by_play.get(play, 0) + 1
            if "converged" in res and "stage" in res:
                answer = (bool(res["converged"]), res.get("reason", ""))
                self.stages.setdefault(res["stage"], {})[host] = answer
            self._add_wave_facts(host, res.get("ansible_facts") or {})
        elif kind in ("runner_on_failed", "runner_on_unreachable") and host and not data.get("ignore_errors"):
            msg = (data.get("res") or {}).get("msg") or "failed"
            self.host(host).failures.append(f"{data.get('task', '?')}: {str(msg).strip()}")
        elif kind == "playbook_on_stats":
            for field, key in (("ok", "ok"), ("changed", "changed"), ("failed", "failures"),
                               ("unreachable", "dark"), ("skipped", "skipped")):
                for name, count in (data.get(key) or {}).items():
                    setattr(self.host(name), field, getattr(self.host(name), field) + count)

    def _add_wave_facts(self, host: str, facts: dict) -> None:
        if isinstance(facts.get("fastpath_waves"), list):
            self.waves = [[str(h) for h in wave] for wave in facts["fastpath_waves"]]
        if "fastpath_wave" in facts:
            self.wave_of[host] = int(facts["fastpath_wave"])

    @property
    def failed_hosts(self) -> list[str]:
        return sorted(h for h, r in self.hosts.items() if r.failed or r.unreachable)

    def table(self) -> str:
        """A fixed-width table: one line per host, then the reason for each failure."""
        head = f"{'host':<16} {'ok':>4} {'changed':>8} {'failed':>7} {'unreachable':>12}  result"
        lines = [head, "-" * len(head)]
        for title, names in self.host_groups():
            if title:
                lines.append(title)
            for name in names:
                r = self.hosts.get(name, HostResult())
                verdict = "UNREACHABLE" if r.unreachable else "FAILED" if r.failed else "ok"
                lines.append(f"{name:<16} {r.ok:>4} {r.changed:>8} {r.failed:>7} {r.unreachable:>12}"
                             f"  {verdict}")
        for name in self.failed_hosts:
            for failure in self.hosts[name].failures[-3:]:
                lines.append(f"  {name}: {failure}")
        lines.extend(self.stage_lines())
        return "\n".join(lines)

    def host_groups(self) -> list[tuple[str, list[str]]]:
        """(title, hosts) in table order: without a rollout one untitled group of every host; with
        one, each wave in order (canary first), saying whether it passed, failed or never started,
        then the hosts in no wave (load clients, the controller)."""
        if not self.waves:
            return [("", sorted(self.hosts))]
        groups, in_waves = [], set()
        started = set(self.wave_of.values())
        for number, wave in enumerate(self.waves, start=1):
            in_waves.update(wave)
            canary = " (canary)" if number == 1 and len(self.waves) > 1 else ""
            if number not in started:
                state = "not started, its servers untouched"
            elif any(self.hosts.get(h, HostResult()).failed or self.hosts.get(h, HostResult()).unreachable
                     for h in wave):
                state = "FAILED"
            else:
                state = "ok"
            groups.append((f"wave {number} of {len(self.waves)}{canary}: {state}", list(wave)))
        others = sorted(h for h in self.hosts if h not in in_waves)
        if others:
            groups.append(("not in a wave", others))
        return groups

    def stage_lines(self) -> list[str]:
        """Per stage: on how many hosts it was skipped as converged, and why it ran on the others."""
        lines = []
        for stage in sorted(self.stages):
            answers = self.stages[stage]
            skipped = sorted(h for h, (converged, _reason) in answers.items() if converged)
            lines.append(f"stage {stage}: skipped as converged on {len(skipped)} of {len(answers)} host(s)")
            lines.extend(f"  {host}: ran, {why}" for host, (converged, why) in sorted(answers.items())
                         if not converged)
        return lines


def playbook_for(stage: str) -> str:
    if stage == "site":
        return "site.yml"
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: choose site or one of {', '.join(STAGES)}")
    path = f"playbooks/{stage}.yml"
    if not (REPO / path).is_file():
        raise ValueError(f"stage {stage!r} has no playbook yet ({path} is missing)")
    return path


def run(stage: str = "site", inventory: str | None = None, **options) -> RunSummary:
    """Run a stage (or the whole site.yml) of this repository; `options` as for run_playbook."""
    return run_playbook(REPO, playbook_for(stage), inventory=_inventory_arg(inventory), **options)


def run_playbook(
    project_dir: Path,
    playbook: str,
    inventory: str,
    extravars: dict | None = None,
    limit: str | None = None,
    check: bool = False,
    diff: bool = False,
    quiet: bool = False,
    artifact_dir: str | None = None,
    events: list | None = None,
) -> RunSummary:
    """Run one playbook of `project_dir` with ansible-runner and fold its events into a summary;
    with `events`, every event is also appended there as the runner gave it."""
    import ansible_runner  # imported here so `fastpath lab` works without it loaded

    summary = RunSummary()
    cmdline = []
    if check:
        cmdline.append("--check")
    if diff:
        cmdline.append("--diff")
    private_dir = artifact_dir or tempfile.mkdtemp(prefix="fastpath-run-")
    result = ansible_runner.run(
        private_data_dir=private_dir,
        project_dir=str(project_dir),
        playbook=playbook,
        inventory=inventory,
        extravars=extravars or {},
        limit=limit,
        cmdline=" ".join(cmdline) or None,
        envvars={
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            # the ansible-playbook of this interpreter's environment, activated or not
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
            **_passthrough_env(),
        },
        event_handler=lambda e: _take(summary, events, e),
        quiet=quiet,
    )
    summary.status, summary.rc = result.status, result.rc
    return summary


def _take(summary: RunSummary, events: list | None, event: dict) -> bool:
    summary.add_event(event)
    if events is not None:
        events.append(event)
    return True  # keep the event in the runner's artifacts too


def _inventory_arg(inventory: str | None) -> str:
    """A path is made absolute (the runner changes directory); a host list ("a,b,") passes as is."""
    if inventory is None:
        return str(REPO / "inventories/lab")
    if "," in inventory and not Path(inventory).exists():
        return inventory
    return str(Path(inventory).resolve())


def _passthrough_env() -> dict:
    """Variables our own plugins read (e.g. which lab instance) reach the playbook's environment."""
    return {k: v for k, v in os.environ.items() if k.startswith("FASTPATH_")}
