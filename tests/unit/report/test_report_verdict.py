"""The page's Verdict section on the smoke results of a real site.yml run (fixtures/lab-site/README.md):
every server's wave, result, gates, replies, loss and p99 as its result file says, linked to the host's
state; before -> after against a baseline; this run's directories only, copied into the run; one line
when no smoke test ran; unreadable results named on the page, never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from htmlscan import body_rows, scan

from ansible_collections.fastpath.host.plugins.plugin_utils.report.build import build_run
from ansible_collections.fastpath.host.plugins.plugin_utils.report.verdict_page import NO_SMOKE

FIXTURES = Path(__file__).parent / "fixtures" / "lab-site"
REPORT = "20261203T145034Z-report"
WAVE1 = "20261203T144745Z-smoke-run-wave1"
WAVE2 = "20261203T145026Z-smoke-run-wave2"
BEFORE = "20261203T145313Z-smoke-before"
STRICT = "20261203T145409Z-smoke-strict"


@pytest.fixture
def run(tmp_path) -> Path:
    """A copy of the report run of that site.yml run (hosts/ only, as the role leaves it to the renderer)."""
    return Path(shutil.copytree(FIXTURES / REPORT, tmp_path / "runs" / REPORT))


@pytest.fixture
def results(tmp_path) -> Path:
    """The smoke results directory, holding every smoke run of the fixtures (as a real one would)."""
    return Path(shutil.copytree(FIXTURES / "smoke", tmp_path / "smoke-results"))


def result_of(name: str, server: str) -> dict:
    return json.loads((FIXTURES / "smoke" / name / "servers" / f"{server}.json").read_text())


def host_of(server: str) -> dict:
    return json.loads((FIXTURES / REPORT / "hosts" / f"{server}.json").read_text())


def render(run: Path, results: Path, names=(), baseline=()):
    built = build_run(run, smoke_results=[str(results / n) for n in names],
                      smoke_baseline=[str(results / n) for n in baseline])
    html = (run / "index.html").read_text()
    return built, html, scan(html)


def amount(value, unit) -> str:
    """How a gate's number reads: whole numbers bare, others with two decimals, then the unit."""
    if value is None:
        return "nothing measured"
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
    return text + unit if unit in ("", "%") else f"{text} {unit}"


def test_the_page_opens_with_each_servers_wave_result_reply_rate_loss_and_p99(run, results):
    built, html, page = render(run, results, [WAVE1, WAVE2])
    assert built.verdict == ["srv1 wave 1 PASS", "srv2 wave 2 PASS"]
    # First on the page: before the hosts table and every host section.
    assert html.index('<section class="verdict" id="verdict">') < html.index("<h2>Hosts</h2>")
    rows = body_rows(page.rows("verdict"), "server")
    expected = []
    for server, wave, name in (("srv1", "1", WAVE1), ("srv2", "2", WAVE2)):
        load = result_of(name, server)["load"]
        doc = host_of(server)
        findings = len(doc["findings"])
        expected.append([
            server, wave, "PASS",
            f"{load['received_pps']:.1f}",
            f"{100 * load['received_pps'] / load['offered_pps']:.1f}",
            f"{load['loss_pct']:.2f}",
            f"{load['p99_us']:.0f}",
            "none",
            f"read {doc['collected_at']} · {findings} finding{'s' if findings != 1 else ''}",
            "JSON",
        ])
    assert rows == expected
    # The real numbers of that run, as read off the files once by hand.
    assert rows[0][3:7] == ["3997.8", "99.9", "0.00", "4948"]


def test_every_gate_of_every_server_with_measured_threshold_and_passed(run, results):
    _built, _html, page = render(run, results, [WAVE1, WAVE2])
    rows = body_rows(page.rows("gates"), "server")
    expected = [
        [server, wave, g["gate"], g["what"], amount(g["measured"], g["unit"]),
         f"{g['op']} {amount(g['threshold'], g['unit'])}",
         g.get("note", "not checked") if g["passed"] is None else ("yes" if g["passed"] else "no")]
        for server, wave, name in (("srv1", "1", WAVE1), ("srv2", "2", WAVE2))
        for g in result_of(name, server)["gates"]
    ]
    assert rows == expected
    gates = ["reply_rate", "loss", "p99_rtt", "softnet_drops", "time_squeeze", "stray_irqs", "server_drops"]
    assert [r[2] for r in rows] == gates + gates
    assert rows[2][4:] == ["4947.97 us", "<= 500000 us", "yes"]
    assert rows[5][6] == "not checked: the NICs have no IRQs (veth, or no driver IRQ found)"


def test_each_verdict_links_to_the_hosts_state_and_the_host_section_back(run, results):
    _built, html, page = render(run, results, [WAVE1, WAVE2])
    assert page.sections == ["cli1", "srv1", "srv2"]
    for server, wave in (("srv1", 1), ("srv2", 2)):
        index = page.sections.index(server)
        assert f'<a href="#host-{index}">read {host_of(server)["collected_at"]}' in html
        section = html[html.index(f'id="host-{index}"'):]
        section = section[:section.index("</section>")]
        assert "Smoke verdict: " in section and f"PASS</span></a> (wave {wave})" in section
    cli1 = html[html.index('id="host-0"'):]
    assert "Smoke verdict" not in cli1[:cli1.index("</section>")]  # a load client is not judged


def test_the_run_keeps_a_copy_of_the_smoke_results_it_shows(run, results):
    _built, _html, page = render(run, results, [WAVE1, WAVE2])
    copied = sorted(str(p.relative_to(run)) for p in (run / "smoke").rglob("*") if p.is_file())
    assert copied == [f"smoke/{WAVE1}/servers/srv1.json", f"smoke/{WAVE1}/summary.json",
                      f"smoke/{WAVE2}/servers/srv2.json", f"smoke/{WAVE2}/summary.json"]
    for path in copied:
        name = Path(path).relative_to("smoke")
        assert (run / path).read_bytes() == (results / name).read_bytes()
    # Every link of the page stays on the page or inside the run directory.
    outside = [u for u in page.urls if not u.startswith("#") and not (run / u).is_file()]
    assert outside == []
    assert f"smoke/{WAVE1}/servers/srv1.json" in page.urls


def test_only_the_directories_named_count_not_the_others_in_the_same_results_directory(run, results):
    # STRICT (both servers FAIL) lies beside this run's results, later; it is not this run's.
    built, html, page = render(run, results, [WAVE1, WAVE2])
    assert [r[2] for r in body_rows(page.rows("verdict"), "server")] == ["PASS", "PASS"]
    assert STRICT not in html and BEFORE not in html
    assert sorted(p.name for p in (run / "smoke").iterdir()) == [WAVE1, WAVE2]
    assert built.smoke_warnings == []


def test_a_failed_gate_makes_the_server_fail_and_is_named(run, results):
    built, _html, page = render(run, results, [STRICT])
    assert built.verdict == ["srv1 FAIL", "srv2 FAIL"]  # wave 0: not a rollout
    rows = body_rows(page.rows("verdict"), "server")
    assert [(r[0], r[1], r[2], r[7]) for r in rows] == [
        ("srv1", "not a rollout", "FAIL", "p99_rtt"), ("srv2", "not a rollout", "FAIL", "p99_rtt")]
    p99 = [r for r in body_rows(page.rows("gates"), "server") if r[2] == "p99_rtt"]
    measured = [amount(result_of(STRICT, s)["load"]["p99_us"], "us") for s in ("srv1", "srv2")]
    assert [(r[0], r[4], r[5], r[6]) for r in p99] == [
        ("srv1", measured[0], "<= 1 us", "no"), ("srv2", measured[1], "<= 1 us", "no")]


def test_before_after_against_the_baseline_for_replies_loss_and_p99(run, results):
    _built, html, page = render(run, results, [WAVE1, WAVE2], baseline=[BEFORE])
    assert "Before → after" in html
    rows = body_rows(page.rows("verdict-baseline"), "server")
    expected = []
    for server, name in (("srv1", WAVE1), ("srv2", WAVE2)):
        old, new = result_of(BEFORE, server)["load"], result_of(name, server)["load"]
        expected.append([
            server, "PASS → PASS",
            f"{old['received_pps']:.1f} → {new['received_pps']:.1f}",
            f"{old['loss_pct']:.2f} → {new['loss_pct']:.2f}",
            f"{old['p99_us']:.0f} → {new['p99_us']:.0f}",
        ])
    assert rows == expected
    assert rows[0][4] == "8225 → 4948"
    assert (run / "smoke" / BEFORE / "summary.json").is_file()  # the baseline is copied in too


def test_a_server_without_a_baseline_says_so(run, results):
    # The baseline of srv1 only: results.yml writes no file for a server that got no result.
    (results / BEFORE / "servers" / "srv2.json").unlink()
    _built, _html, page = render(run, results, [WAVE1, WAVE2], baseline=[BEFORE])
    rows = body_rows(page.rows("verdict-baseline"), "server")
    assert rows[1] == ["srv2", "NO RESULT → PASS", "— → 4000.0", "— → 0.00", "— → 4751"]


def test_without_a_smoke_test_the_page_says_so_in_one_line(run, results):
    built, html, page = render(run, results)
    assert built.verdict == [] and built.smoke_warnings == []
    assert f'<p class="verdict-none" id="verdict">{NO_SMOKE}</p>' in html.replace("&#x27;", "'")
    assert not {"verdict", "gates", "verdict-baseline"} & set(page.tables)
    assert not (run / "smoke").exists()


def _corrupt_summary(results):
    (results / WAVE2 / "summary.json").write_text('{"schema": "fastpath.smoke/1", "servers": [')


def _other_schema(results):
    path = results / WAVE2 / "summary.json"
    path.write_text(path.read_text().replace("fastpath.smoke/1", "fastpath.smoke/0"))


def _corrupt_result(results):
    path = results / WAVE2 / "servers" / "srv2.json"
    path.write_text(path.read_text()[:200])


def _someone_elses_result(results):
    shutil.copy(results / WAVE1 / "servers" / "srv1.json", results / WAVE2 / "servers" / "srv2.json")


def _gone(results):
    shutil.rmtree(results / WAVE2)


@pytest.mark.parametrize(
    ("damage", "warning", "srv2"),
    [
        (_corrupt_summary, f"{WAVE2}/summary.json is not JSON (Expecting value: line 1 column 44", None),
        (_other_schema, f"{WAVE2}/summary.json is not a smoke summary (schema 'fastpath.smoke/0', "
                        "expected 'fastpath.smoke/1'); its servers are not shown", None),
        (_corrupt_result, f"{WAVE2}/servers/srv2.json is not JSON (Unterminated string", "UNREADABLE"),
        (_someone_elses_result, f"{WAVE2}/servers/srv2.json is not srv2's smoke result "
                                "(it is the result of 'srv1')", "UNREADABLE"),
        (_gone, f"results directory {{results}}/{WAVE2} does not exist; its servers are not shown", None),
    ],
    ids=["summary-not-json", "summary-other-schema", "result-not-json", "result-of-another-server",
         "directory-gone"],
)
def test_missing_or_corrupt_smoke_results_are_named_warnings_on_the_page(run, results, damage, warning, srv2):
    damage(results)
    built, html, page = render(run, results, [WAVE1, WAVE2])
    warning = warning.replace("{results}", str(results))
    assert len(built.smoke_warnings) == 1 and warning in built.smoke_warnings[0], built.smoke_warnings
    assert warning in "".join(page.texts), "the warning is not on the page"
    rows = {r[0]: r[2] for r in body_rows(page.rows("verdict"), "server")}
    assert rows == ({"srv1": "PASS", "srv2": srv2} if srv2 else {"srv1": "PASS"})
    if srv2 is None:
        assert "srv2" not in built.verdict
    # What was read is kept in the run, a broken file too: the evidence behind the warning (a broken
    # summary names no server, so no server file of it is read).
    read = [results / WAVE2 / "summary.json"] + ([results / WAVE2 / "servers" / "srv2.json"] if srv2 else [])
    for source in (p for p in read if p.exists()):
        assert (run / "smoke" / source.relative_to(results)).read_bytes() == source.read_bytes()
    assert html.count("</html>") == 1


def test_a_server_in_two_results_directories_shows_the_later_one_and_says_so(run, results):
    built, _html, page = render(run, results, [BEFORE, WAVE1])
    assert built.verdict == ["srv2 PASS", "srv1 wave 1 PASS"]  # wave 0 (all at once) sorts first
    assert built.smoke_warnings == [
        f"smoke: srv1 has results in {BEFORE} and in {WAVE1}; the page shows the later one, {WAVE1}"]
    assert built.smoke_warnings[0] in "".join(page.texts)


def test_result_strings_cannot_inject_markup(run, results):
    evil = "<script>alert(1)</script>"
    path = results / WAVE1 / "servers" / "srv1.json"
    doc = json.loads(path.read_text())
    doc["gates"][0]["what"] = evil
    doc["failures"] = [evil]
    path.write_text(json.dumps(doc))
    _built, html, page = render(run, results, [WAVE1])
    assert "script" not in page.tags
    assert evil in "".join(page.texts)
