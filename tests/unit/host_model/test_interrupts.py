"""parse_interrupts: the /proc/interrupts layouts the kernel prints, and garbage."""

from ansible_collections.fastpath.host.plugins.module_utils.interrupts import parse_interrupts

X86 = """\
           CPU0       CPU1       CPU2       CPU3
  0:         35          0          0          0   IO-APIC   2-edge      timer
 38:          0       3805          0          7   PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0
131:          1          2          3          4  IR-PCI-MSI 524288-edge      eth0-TxRx-0
140:          0          0          0          0  IR-PCI-MSI 1048576-edge      ehci_hcd:usb1, uhci_hcd:usb2
NMI:          0          0          0          0   Non-maskable interrupts
ERR:          0
"""

ARM64 = """\
           CPU0       CPU1
 11:      12345      23456     GICv3  27 Level     arch_timer
 60:          9          0   ITS-MSI 524288 Edge      mlx5_comp0@pci:0000:01:00.0
"""


def test_x86_numbered_line_fields():
    irqs, warnings = parse_interrupts(X86)
    assert warnings == []
    rec = irqs[38]
    assert rec["chip"] == "PCI-MSIX-0000:00:03.0"
    assert rec["hwirq"] == "1" and rec["trigger"] == "edge"
    assert rec["name"] == "virtio2-input.0"
    assert rec["per_cpu"] == {0: 0, 1: 3805, 2: 0, 3: 7}
    assert rec["counts_total"] == 3812


def test_shared_irq_lists_every_action():
    irqs, _warnings = parse_interrupts(X86)
    assert irqs[140]["actions"] == ["ehci_hcd:usb1", "uhci_hcd:usb2"]
    assert irqs[131]["hwirq"] == "524288"


def test_arch_lines_keep_description_and_single_count():
    irqs, _warnings = parse_interrupts(X86)
    assert irqs["NMI"]["name"] == "Non-maskable interrupts"
    assert irqs["ERR"]["counts_total"] == 0 and irqs["ERR"]["per_cpu"] == {}


def test_arm64_level_trigger_is_a_separate_word():
    irqs, warnings = parse_interrupts(ARM64)
    assert warnings == []
    assert irqs[11]["chip"] == "GICv3" and irqs[11]["hwirq"] == "27" and irqs[11]["trigger"] == "Level"
    assert irqs[11]["name"] == "arch_timer"
    assert irqs[60]["name"] == "mlx5_comp0@pci:0000:01:00.0"


def test_offline_cpus_are_absent_columns_so_counts_key_by_header_number():
    text = "           CPU0       CPU2\n 40:          5          9  IR-PCI-MSI 1-edge      eth0-TxRx-0\n"
    irqs, _warnings = parse_interrupts(text)
    assert irqs[40]["per_cpu"] == {0: 5, 2: 9}


def test_garbage_lines_become_warnings_and_the_rest_is_kept():
    text = X86 + "garbage without colon\n 77: 12 notanumber\n 78:\nXYZ: words only\n"
    irqs, warnings = parse_interrupts(text)
    assert 38 in irqs and 140 in irqs
    assert 77 not in irqs and 78 not in irqs
    assert len(warnings) == 4
    assert all("not understood" in w for w in warnings)


def test_empty_and_headerless_input():
    assert parse_interrupts("")[1] == ["/proc/interrupts is empty"]
    irqs, warnings = parse_interrupts("hello world\n 1: 2\n")
    assert irqs == {} and "header" in warnings[0]
