"""Check mode tells the truth (issue 15, Deliver 3): `tune.yml --check --diff` on a fresh 1-host lab,
then the real run, compared per host from Ansible's own events (ansible-runner's event stream,
src/fastpath/runner.py), never from the roles' variables.

tune.yml, not site.yml: deploy compiles native/ on the host and restarts the server from what the
build produced; check mode runs no compiler, so what deploy would change depends on binaries that
do not exist yet. tune's settings are all predictable, and the lab's tune includes a channel change
(the veth's 4 queues to the plan's count), after which the real run plans again on the NIC it reads
back and check mode plans on its forecast of it (module_utils/channel_forecast.py).

Compared: every setting a fastpath module reports changed (sysctls, ethtool groups, IRQ affinities,
queue masks: each key with its before and after), and every file, directory and template task
with its diff. Not compared: unit start/enable tasks (ansible.builtin.systemd_service), which check
mode skips while the unit file they need is not written yet; the test checks that each of them is
skipped in check mode, and only those. ~4 min here.
"""

from __future__ import annotations

import pytest

from fastpath import runner

pytestmark = pytest.mark.lab
SETTINGS_MODULES = {"fastpath.host.irq_affinity", "fastpath.host.nic_queues", "fastpath.host.sysctl_apply"}
FILE_MODULES = {"ansible.builtin.copy", "ansible.builtin.template", "ansible.builtin.file"}
UNIT_MODULES = {"ansible.builtin.systemd_service"}


@pytest.fixture(scope="module")
def srv1(lab_tools):
    proc = lab_tools.run("up", "--instance", str(lab_tools.instance), "--size", "1", timeout=600)
    assert proc.returncode == 0, proc.stderr


def tune(check: bool, runs) -> tuple[runner.RunSummary, list[dict]]:
    events: list[dict] = []
    summary = runner.run("tune", check=check, diff=True, quiet=True, events=events,
                         extravars={"fastpath_runs_dir": str(runs)})
    return summary, events


def changes(events: list[dict]) -> dict[str, dict]:
    """host -> {setting: (before, after)} for everything the run reported changed."""
    out: dict[str, dict] = {}
    for e in events:
        data = e.get("event_data") or {}
        res, action = data.get("res") or {}, data.get("task_action", "")
        if e.get("event") not in ("runner_on_ok", "runner_item_on_ok") or not res.get("changed"):
            continue
        host = out.setdefault(data["host"], {})
        if action in SETTINGS_MODULES:
            for r in res.get("results", []):
                if r.get("status") == "changed":
                    host[f"{action} {r['key']}"] = (r.get("before"), r.get("after"))
        elif action == "fastpath.host.nic_ethtool":
            for group, keys in res.get("changes", {}).items():
                for key, (before, after) in keys.items():
                    host[f"ethtool {group} {key}"] = (before, after)
        elif action in FILE_MODULES and (e["event"] == "runner_item_on_ok" or "results" not in res):
            item = res.get("item", "")
            diff = res.get("diff") or {}
            diffs = diff if isinstance(diff, list) else [diff]
            before = tuple(str(d.get("before", "")) for d in diffs)
            after = tuple(str(d.get("after", "")) for d in diffs)
            host[f"{action} {data.get('task')} {item}"] = (before, after)
    return out


def unit_tasks(events: list[dict], kind: str) -> set[tuple[str, str]]:
    return {(e["event_data"]["host"], e["event_data"].get("task", ""))
            for e in events if e.get("event") == kind
            and (e.get("event_data") or {}).get("task_action") in UNIT_MODULES}


def test_tune_in_check_mode_predicts_the_real_run(lab_tools, srv1, tmp_path, monkeypatch):
    # The runner passes FASTPATH_* on to the lab inventory: this lab, never the default instance.
    monkeypatch.setenv("FASTPATH_LAB_INSTANCE", str(lab_tools.instance))
    check, check_events = tune(True, tmp_path)
    assert check.rc == 0, check.table()
    real, real_events = tune(False, tmp_path)
    assert real.rc == 0, real.table()
    predicted, done = changes(check_events), changes(real_events)
    assert set(predicted) == set(done) == {"srv1"}
    assert any(k.startswith("ethtool channels") for k in done["srv1"]), "the lab run changes no channels"
    missing = sorted(set(done["srv1"]) - set(predicted["srv1"]))
    extra = sorted(set(predicted["srv1"]) - set(done["srv1"]))
    assert (missing, extra) == ([], []), f"real run only: {missing}\ncheck mode only: {extra}"
    wrong = {k: (predicted["srv1"][k], v) for k, v in done["srv1"].items() if predicted["srv1"][k] != v}
    assert wrong == {}, "check mode predicted other values (predicted, real)"
    # The unit tasks check mode skips are the ones the real run changes.
    assert unit_tasks(real_events, "runner_on_ok") >= unit_tasks(check_events, "runner_on_skipped")
