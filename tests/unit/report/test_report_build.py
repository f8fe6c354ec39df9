"""Rendering a run directory from the command line: files written, "previous" found, bad input as
one line of error with a distinct exit code, never a traceback."""

import json
import os
import subprocess
import sys

import pytest
from htmlscan import body_rows, scan
from promtext import parse
from report_docs import REPO, host_data, tree

from fastpath.report.cli import EXIT_BAD_INPUT, EXIT_WRITE_FAILED
from fastpath.report.rundir import list_runs, resolve_compare


def make_run(report_dir, name, hosts):
    run = report_dir / name
    (run / "hosts").mkdir(parents=True)
    for host, data in hosts.items():
        (run / "hosts" / f"{host}.json").write_text(json.dumps({**data, "host": host}))
    return run


def report(*args):
    """`python -m fastpath.report` as the role runs it: a fresh interpreter, src/ on PYTHONPATH."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run(
        [sys.executable, "-m", "fastpath.report", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def mlx5():
    return host_data(tree("mlx5"))


def test_a_run_gets_a_textfile_per_host_and_one_page(tmp_path, mlx5):
    run = make_run(tmp_path, "20250131T120000Z-before", {"srv1": mlx5, "srv2": host_data(tree("ice"))})
    done = report(run, "--missing", "srv3")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
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
    done = report(second, "--compare-to", "previous")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["compared_with"] == str(first.resolve())
    changes = body_rows(scan((second / "index.html").read_text()).rows("changes"), "where")
    assert [c[1:] for c in changes] == [["xps_cpus", "none", "0-1"]]


def test_the_first_run_compared_with_previous_says_there_is_none(tmp_path, mlx5):
    run = make_run(tmp_path, "20250131T120000Z-first", {"srv1": mlx5})
    done = report(run, "--compare-to", "previous")
    assert done.returncode == 0, done.stderr
    assert "No earlier run" in json.loads(done.stdout)["notes"][0]
    assert "No earlier run" in (run / "index.html").read_text()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda d: None, ["nosuch"], "does not exist"),
        (lambda d: (d / "r").mkdir(), ["r"], "has no hosts/ directory"),
        (lambda d: make_run(d, "r", {}) and (d / "r/hosts/x.json").write_text("{oops"), ["r"], "is not JSON"),
        (lambda d: make_run(d, "r", {}) and (d / "r/hosts/x.json").write_text("[1]"), ["r"], "JSON object"),
        (lambda d: make_run(d, "r", {}), ["r", "--compare-to", "nope"], "is not a run directory"),
        (lambda d: make_run(d, "r", {}), ["r", "--compare-to", "r"], "with itself"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, setup, args, message):
    setup(tmp_path)
    done = report(*(tmp_path / args[0], *args[1:]))
    assert done.returncode == EXIT_BAD_INPUT
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_textfile_that_cannot_be_replaced_is_exit_3(tmp_path, mlx5):
    run = make_run(tmp_path, "r", {"srv1": mlx5})
    (run / "hosts" / "srv1.prom").mkdir()  # even root cannot replace a directory with a file
    done = report(run)
    assert done.returncode == EXIT_WRITE_FAILED
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert [p.name for p in (run / "hosts").iterdir() if p.name.startswith(".")] == []  # no temp file left
