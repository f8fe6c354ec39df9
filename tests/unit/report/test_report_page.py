"""The HTML page, read back with the stdlib parser: tables and heatmap cells match the host data,
nothing external or executable, everything from a host escaped."""

import pytest
from htmlscan import body_rows, scan
from report_docs import build_host256, host_data, tree

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc
from ansible_collections.fastpath.host.plugins.plugin_utils.report.compare import compare_hosts
from ansible_collections.fastpath.host.plugins.plugin_utils.report.page import render_page

TREES = ("mlx5", "ice", "virtio_net", "broken")


@pytest.fixture(scope="module")
def docs():
    return [HostDoc.from_data(host_data(tree(name))) for name in TREES]


def expected_cells(doc: HostDoc) -> int:
    n = sum(1 for irq in doc.nic_irqs() for v in irq.per_cpu.values() if v > 0)
    n += sum(1 for counts in doc.softirqs().values() for v in counts.values() if v > 0)
    n += sum(1 for r in doc.softnet().values() for c in ("processed", "dropped", "time_squeeze") if r.get(c))
    return n


def test_each_host_has_its_queue_table_irq_map_heatmap_and_findings(docs):
    page = scan(render_page("20250131T120000Z-test", docs))
    assert page.sections == list(TREES)
    queues = body_rows(page.rows("queues"), "dir")
    expected = [
        (direction, str(q["index"]), "—" if q.get("irq") is None else str(q["irq"]))
        for doc in docs
        for _name, nic in sorted(doc.interfaces.items())
        for direction in ("rx", "tx")
        for q in nic["queues"][direction]
    ]
    assert [tuple(r[:3]) for r in queues] == expected
    irq_map = body_rows(page.rows("irq-map"), "IRQ")
    assert [r[0] for r in irq_map] == [str(i.irq) for doc in docs for i in doc.nic_irqs()]
    assert len(page.svgs) == len(docs)
    assert len(page.svg_cells) == sum(expected_cells(d) for d in docs)
    findings = body_rows(page.rows("findings"), "severity")
    assert len(findings) == sum(len(d.findings) for d in docs) > 0
    summary = body_rows(page.rows("summary"), "host")
    assert [r[0] for r in summary] == list(TREES)


def test_the_page_is_self_contained_and_has_no_script(docs):
    html = render_page("r", docs)
    page = scan(html)
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert all(url.startswith("#") for url in page.urls)
    assert "url(" not in html and "@import" not in html


def test_strings_from_a_host_cannot_inject_markup(docs):
    data = host_data(tree("virtio_net"))
    evil = '<img src=x onerror=alert(1)>"'
    data["host"] = evil
    nic = next(iter(data["interfaces"].values()))
    nic["irqs"][0]["name"] = "<script>alert(2)</script>"
    data["interfaces"] = {evil: nic}
    data["findings"] = [
        {"severity": '"><b>', "what": "<script>x</script>", "evidence": ["<i>"], "fix": {"<u>": 1}}
    ]
    data["warnings"] = ["</details><script>"]
    html = render_page("<run>", [HostDoc.from_data(data)])
    page = scan(html)
    assert not page.tags & {"script", "img", "b", "i", "u"}
    text = "".join(page.texts)
    assert evil in text and "<script>alert(2)</script>" in text and "<script>x</script>" in text


def test_before_after_shows_changed_affinity_deltas_and_hosts_without_an_earlier_run(docs):
    before = docs[0]
    after_data = host_data(tree("mlx5"))
    nic = after_data["interfaces"]["ens1f0np0"]
    nic["irqs"][0]["affinity"] = "5"
    nic["irqs"][0]["per_cpu"]["5"] = nic["irqs"][0]["per_cpu"].get("5", 0) + 4242
    after_data["cpus"]["softnet"][0]["dropped"] += 9
    after = HostDoc.from_data(after_data)
    other = docs[2]
    diffs = {"mlx5": compare_hosts(before, after), other.host: None}
    html = render_page("after", [after, other], diffs=diffs, compare_name="before")
    page = scan(html)
    changes = body_rows(page.rows("changes"), "where")
    old_affinity = before.interfaces["ens1f0np0"]["irqs"][0]["affinity"]
    assert old_affinity not in ("", None, "5")
    assert [c[1:] for c in changes] == [["IRQ affinity", old_affinity, "5"]]
    deltas = body_rows(page.rows("softnet-delta"), "CPU")
    assert [r[0] for r in deltas] == [str(after_data["cpus"]["softnet"][0]["cpu"])] and deltas[0][2] == "9"
    delta_cells = [c for c in page.svg_cells if "heatmap-delta" in c["figure"] and c["data-value"] != "0"]
    assert [(c["data-cpu"], c["data-value"]) for c in delta_cells] == [("5", "4242")]
    assert "This host is not in the earlier run." in "".join(page.texts)
    assert "compared with run" in html


def test_a_256_cpu_host_with_four_64_queue_nics_stays_readable(tmp_path):
    doc = HostDoc.from_data(host_data(build_host256(tmp_path)))
    html = render_page("big", [doc])
    page = scan(html)
    assert len(doc.cpu_columns()) == 256
    assert len(page.svg_cells) == expected_cells(doc)
    assert len(body_rows(page.rows("queues"), "dir")) == 4 * 64 * 2
    assert [int(svg["data-cpus"]) for svg in page.svgs] == [256]
    assert int(page.svgs[0]["width"]) <= 1400
    assert len(html) < 3_000_000
