"""Host documents with missing or mistyped parts: partial pages with reasons, never a traceback."""

import pytest

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import HostDoc
from ansible_collections.fastpath.host.plugins.module_utils.report_textfile import render_textfile
from ansible_collections.fastpath.host.plugins.plugin_utils.report.errors import ReportError
from ansible_collections.fastpath.host.plugins.plugin_utils.report.page import render_page


def test_parts_of_the_wrong_type_become_warnings_and_the_rest_renders():
    doc = HostDoc.from_data(
        {
            "host": "odd",
            "cpus": ["not", "a", "dict"],
            "interfaces": {
                "eth0": {"irqs": [{"irq": "x"}, "junk", {"irq": 5, "per_cpu": {"0": 3, "x": 1}}]},
                "eth1": "junk",
            },
            "irqs": "nope",
            "findings": [{"severity": "high", "what": "w"}, "junk"],
            "warnings": ["one", None],
        }
    )
    assert doc.warnings[0] == "one"
    assert any("cpus in <data> is a list" in w for w in doc.warnings)
    assert any("irqs is a str" in w for w in doc.warnings)
    assert list(doc.interfaces) == ["eth0"] and len(doc.findings) == 1
    [irq] = doc.nic_irqs()
    assert (irq.irq, irq.per_cpu, irq.queue, irq.kind) == (5, {0: 3}, None, "other")
    assert doc.cpu_columns() == [0]
    assert "odd" in render_page("r", [doc])
    assert "fastpath_irq_interrupts_total" in render_textfile(doc)


def test_irq_info_as_a_dict_keyed_by_strings_fills_what_nic_info_left_out():
    doc = HostDoc.from_data(
        {
            "host": "h",
            "irqs": {"40": {"irq": 40, "name": "eth0-TxRx-0", "affinity": "2", "per_cpu": {"2": 9}}},
            "interfaces": {"eth0": {"irqs": [{"irq": 40, "queue": 0, "kind": "txrx"}]}},
        }
    )
    [irq] = doc.nic_irqs()
    assert (irq.name, irq.affinity, irq.per_cpu) == ("eth0-TxRx-0", "2", {2: 9})
    assert irq.label == "eth0 txrx0 (irq 40)"


@pytest.mark.parametrize(
    ("data", "message"),
    [("text", "JSON object, not str"), ({"schema": "other/9"}, "is not 'fastpath.report/1'")],
)
def test_what_is_not_a_host_document_is_refused(data, message):
    with pytest.raises(ReportError, match=message):
        HostDoc.from_data(data)
