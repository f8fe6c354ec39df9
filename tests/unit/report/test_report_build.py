"""Rendering a run directory with fastpath.host.report_render as the role runs it (through Ansible, on
the controller): files written, "previous" found, bad input as one line of error, never a traceback."""

import json
import os
import subprocess

import pytest
from htmlscan import body_rows, scan
from promtext import parse
from report_docs import REPO, host_data, tree

from ansible_collections.fastpath.host.plugins.plugin_utils.report.build import build_run
from ansible_collections.fastpath.host.plugins.plugin_utils.report.errors import ReportError
from ansible_collections.fastpath.host.plugins.plugin_utils.report.rundir import list_runs, resolve_compare


def make_run(report_dir, name, hosts):
    run = report_dir / name
    (run / "hosts").mkdir(parents=True)
    for host, data in hosts.items():
        (run / "hosts" / f"{host}.json").write_text(json.dumps({**data, "host": host}))
    return run


def report(run_dir, compare_to="", missing=(), smoke_results=(), smoke_baseline=()):
    """The action on localhost through `ansible`, its result as the role would register it."""
    args = json.dumps({"run_dir": str(run_dir), "compare_to": compare_to, "missing": list(missing),
                       "smoke_results": [str(p) for p in smoke_results],
                       "smoke_baseline": [str(p) for p in smoke_baseline]})
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    done = subprocess.run([str(REPO / ".venv/bin/ansible"), "localhost", "-m", "fastpath.host.report_render",
                           "-a", args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
                          check=False)
    assert "Traceback" not in done.stdout + done.stderr
    [task] = json.loads(done.stdout)["plays"][0]["tasks"]
    return task["hosts"]["localhost"]


@pytest.fixture(scope="module")
def mlx5():
    return host_data(tree("mlx5"))


def test_a_run_gets_a_textfile_per_host_and_one_page(tmp_path, mlx5):
    run = make_run(tmp_path, "20250131T120000Z-before", {"srv1": mlx5, "srv2": host_data(tree("ice"))})
    result = report(run, missing=["srv3"])
    assert result["changed"] and not result.get("failed"), result
    assert result["hosts"] == ["srv1", "srv2"] and result["compared_with"] is None
    for host in ("srv1", "srv2"):
        assert parse((run / "hosts" / f"{host}.prom").read_text())["fastpath_nic_info"]["samples"]
    page = scan((run / "index.html").read_text())
    assert page.sections == ["srv1", "srv2"]
    assert "No data from: srv3" in "".join(page.texts)


def test_previous_is_the_latest_earlier_run_and_the_page_shows_the_difference(tmp_path, mlx5):
    first = make_run(tmp_path, "20250131T120000Z-before", {"srv1": mlx5})
    make_run(tmp_path, "20250131T110000Z-older", {"srv1": mlx5})
    (tmp_path / "latest").symlink_to(first.name)
    (tmp_path / "notes").mkdir()
    after = json.loads(json.dumps(mlx5))
    after["interfaces"]["ens1f1np1"]["queues"]["tx"][0]["xps_cpus"] = "0-1"
    second = make_run(tmp_path, "20250131T130000Z-after", {"srv1": after})
    assert [p.name for p in list_runs(tmp_path)] == [
        "20250131T110000Z-older",
        "20250131T120000Z-before",
        "20250131T130000Z-after",
    ]
    assert resolve_compare(second, "previous") == first.resolve()
    assert resolve_compare(first, "20250131T130000Z-after") == second.resolve()
    result = report(second, compare_to="previous")
    assert result["compared_with"] == str(first.resolve()), result
    changes = body_rows(scan((second / "index.html").read_text()).rows("changes"), "where")
    assert [c[1:] for c in changes] == [["xps_cpus", "none", "0-1"]]


def test_the_first_run_compared_with_previous_says_there_is_none(tmp_path, mlx5):
    run = make_run(tmp_path, "20250131T120000Z-first", {"srv1": mlx5})
    notes = build_run(run, "previous").notes
    assert "No earlier run" in notes[0]
    assert "No earlier run" in (run / "index.html").read_text()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda d: None, ["nosuch"], "does not exist"),
        (lambda d: (d / "r").mkdir(), ["r"], "has no hosts/ directory"),
        (lambda d: make_run(d, "r", {}) and (d / "r/hosts/x.json").write_text("{oops"), ["r"], "is not JSON"),
        (lambda d: make_run(d, "r", {}) and (d / "r/hosts/x.json").write_text("[1]"), ["r"], "JSON object"),
        (lambda d: make_run(d, "r", {}), ["r", "nope"], "is not a run directory"),
        (lambda d: make_run(d, "r", {}), ["r", "r"], "with itself"),
    ],
)
def test_bad_input_is_refused_with_what_and_why(tmp_path, setup, args, message):
    setup(tmp_path)
    with pytest.raises(ReportError, match=message):
        build_run(tmp_path / args[0], *args[1:])


def test_the_action_fails_bad_input_in_one_line(tmp_path):
    result = report(tmp_path / "nosuch")
    assert result["failed"] and not result.get("changed")
    assert result["msg"] == f"fastpath report: run directory {tmp_path / 'nosuch'} does not exist"


def test_a_textfile_that_cannot_be_replaced_fails_the_action_and_says_where(tmp_path, mlx5):
    run = make_run(tmp_path, "r", {"srv1": mlx5})
    (run / "hosts" / "srv1.prom").mkdir()  # even root cannot replace a directory with a file
    result = report(run)
    assert result["failed"]
    assert result["msg"].startswith(f"fastpath report: cannot write into {run}: ")
    assert len(result["msg"].splitlines()) == 1
    assert [p.name for p in (run / "hosts").iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_the_action_renders_the_smoke_verdict_and_warns_of_what_it_could_not_read(tmp_path, mlx5):
    """Through Ansible: the verdict of a real wave's results (fixtures/lab-site), a missing results
    directory as a warning of the task, which still succeeds."""
    run = make_run(tmp_path, "20250131T120000Z-report", {"srv1": mlx5})
    wave1 = REPO / "tests/unit/report/fixtures/lab-site/smoke/20261203T144745Z-smoke-run-wave1"
    result = report(run, smoke_results=[wave1, tmp_path / "gone"])
    assert result["changed"] and not result.get("failed"), result
    assert result["verdict"] == ["srv1 wave 1 PASS"]
    message = f"smoke: results directory {tmp_path / 'gone'} does not exist; its servers are not shown"
    assert result["smoke_warnings"] == [message] and result["warnings"] == [message]
    rows = body_rows(scan((run / "index.html").read_text()).rows("verdict"), "server")
    assert [r[:3] for r in rows] == [["srv1", "1", "PASS"]]
    assert (run / "smoke" / wave1.name / "servers" / "srv1.json").read_bytes() == \
        (wave1 / "servers" / "srv1.json").read_bytes()
