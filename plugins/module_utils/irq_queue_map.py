# SPDX-License-Identifier: Apache-2.0
"""Which IRQ serves which queue of which NIC: driver-aware names plus the device's msi_irqs.

The IRQ names come from each driver's request_irq() call (checked against the kernel sources):

  mlx5        mlx5_comp<N>@pci:<bdf> (channel N, rx+tx), mlx5_async<N>@pci:<bdf>   (mlx5/core/pci_irq.c)
  mlx4        mlx4-<N>@<bdf> or mlx4-comp-<N>@pci:<bdf>, mlx4-async@pci:<bdf>        (mlx4/eq.c)
  ice i40e    <drv>-<if>-TxRx-<N> | -rx-<N> | -tx-<N>; misc <drv>-<bdf>:misc      (ice_lib.c, i40e_main.c)
  iavf idpf   iavf-<if>-TxRx-<N>; idpf-<if>-TxRx-<N> (idpf also Rx/Tx)              (iavf_main.c, idpf_txrx.c)
  ixgbe igb   <if>-TxRx-<N> | -rx-<N> | -tx-<N>; the link IRQ is named <if>        (ixgbe_main.c, igb_main.c)
  bnxt_en     <if>-TxRx-<N> | -rx-<N> | -tx-<N>                                     (bnxt.c)
  ena         <if>-Tx-Rx-<N>; ena-mgmnt@pci:<bdf>                                   (ena_netdev.c)
  gve         gve-ntfy-blk<N>@pci:<bdf>: blocks [0, n/2) serve tx N, [n/2, n) rx N-n/2;
              gve-mgmnt@pci:<bdf>                                                    (gve_main.c)
  virtio_net  virtio<K>-input.<N> (rx N), virtio<K>-output.<N> (tx N), virtio<K>-config,
              virtio<K>-control, virtio<K>-virtqueues (all queues on one vector)     (virtio_net.c)
  mana        mana_q<N>@pci:<bdf> (queue N, shared by the vports of one function),
              mana_hwc@pci:<bdf>                                                     (mana/gdma_main.c)
  sfc         <if>-<N> (rx+tx), <if>-rx-<N>, <if>-tx-<N>, <if>-xdp-<N>             (sfc/efx_channels.c)

Names that carry the interface are matched as whole words ("eth1-TxRx-0" never matches eth10);
names that carry the PCI address match only that function (two ports of one mlx5 card are two
functions). When the device has msi_irqs/, only those IRQs are considered at all, so a NIC's IRQs
are never taken for another's. An unknown driver keeps its msi_irqs with kind "other" and a warning.
"""

from __future__ import annotations

import re

# Kinds as reported in nic_info: a queue IRQ serves rx, tx or both; anything else is "other".
RX, TX, TXRX, OTHER = "rx", "tx", "txrx", "other"

_KIND_WORDS = {"txrx": TXRX, "tx-rx": TXRX, "rx": RX, "tx": TX}


def _ifname_rules(ifname: str) -> list[tuple[re.Pattern, str | None]]:
    """Patterns that embed the interface name. The kind comes from the name when None."""
    i = re.escape(ifname)
    return [
        # ice, i40e, iavf, idpf: "<drv>-<if>-TxRx-<N>" (drv: lowercase driver name).
        (re.compile(rf"^(?:ice|i40e|iavf|idpf)-{i}-(?P<kind>TxRx|rx|tx|Rx|Tx)-(?P<q>\d+)$"), None),
        # ixgbe, igb, bnxt_en (and others that copied them): "<if>-TxRx-<N>".
        (re.compile(rf"^{i}-(?P<kind>TxRx|rx|tx)-(?P<q>\d+)$"), None),
        # ena: "<if>-Tx-Rx-<N>".
        (re.compile(rf"^{i}-(?P<kind>Tx-Rx)-(?P<q>\d+)$"), None),
        # sfc: "<if>-<N>" serves rx and tx of channel N; "-xdp-<N>" is an XDP TX channel.
        (re.compile(rf"^{i}-(?P<q>\d+)$"), TXRX),
        (re.compile(rf"^{i}-xdp-(?P<q>\d+)$"), OTHER),
        # The driver's non-queue vector named after the interface (ixgbe/igb link, sfc).
        (re.compile(rf"^{i}$"), OTHER),
    ]


def _pci_rules(bdf: str) -> list[tuple[re.Pattern, str | None]]:
    b = re.escape(bdf)
    return [
        (re.compile(rf"^mlx5_comp(?P<q>\d+)@pci:{b}$"), TXRX),
        (re.compile(rf"^mlx5_(?:async|combined)\d+@pci:{b}$"), OTHER),
        (re.compile(rf"^mana_q(?P<q>\d+)@pci:{b}$"), TXRX),
        (re.compile(rf"^mana_hwc@pci:{b}$"), OTHER),
        (re.compile(rf"^gve-ntfy-blk(?P<gve>\d+)@pci:{b}$"), None),
        (re.compile(rf"^gve-mgmnt@pci:{b}$"), OTHER),
        (re.compile(rf"^ena-mgmnt@pci:{b}$"), OTHER),
        # mlx4 shares its EQs between the card's ports and assigns them to rings at run time:
        # the vector number is not a ring number, so no queue is claimed.
        (re.compile(rf"^mlx4-(?:comp-)?(?P<mlx4>\d+)@(?:pci:)?{b}$"), TXRX),
        (re.compile(rf"^mlx4-async@pci:{b}$"), OTHER),
        # ice/i40e misc vector "<drv>-<bdf>:misc"; iavf mailbox "iavf-<bdf>:mbx".
        (re.compile(rf"^\w+-{b}:(?:misc|mbx)$"), OTHER),
    ]


def _virtio_rules(vdev: str) -> list[tuple[re.Pattern, str | None]]:
    v = re.escape(vdev)
    return [
        (re.compile(rf"^{v}-input\.(?P<q>\d+)$"), RX),
        (re.compile(rf"^{v}-output\.(?P<q>\d+)$"), TX),
        # No per-queue vectors available: every virtqueue shares one IRQ; it serves rx and tx.
        (re.compile(rf"^{v}-virtqueues$"), TXRX),
        (re.compile(rf"^{v}-(?:config|control)$"), OTHER),
    ]


def map_nic_irqs(ifname: str, device: dict, irqs: dict) -> tuple[list[dict], list[str]]:
    """IRQs of one NIC as [{irq, name, queue, kind}] sorted by IRQ, plus warnings.

    `device` is netdev.read_device()'s result; `irqs` is {irq: record} from /proc/interrupts.
    """
    warnings: list[str] = []
    rules = _ifname_rules(ifname)
    if device.get("pci_dev"):
        rules += _pci_rules(device["pci_dev"])
    if device.get("virtio"):
        rules += _virtio_rules(device["virtio"])
    msi = device.get("msi_irqs")
    candidates = [n for n in (msi if msi is not None else irqs) if isinstance(n, int) and n in irqs]
    found = []
    for n in sorted(candidates):
        name = irqs[n].get("name") or ""
        match = _classify(name, rules)
        if match is None:
            if msi is None:
                continue  # without msi_irqs only names prove ownership
            match = (None, OTHER)
        found.append({"irq": n, "name": name, "queue": match[0], "kind": match[1]})
    _resolve_gve(found)
    if msi is not None:
        missing = [n for n in msi if n not in irqs]
        if missing and device.get("driver"):
            # Vectors allocated but not requested (yet) do not show in /proc/interrupts.
            warnings.append(f"{ifname}: msi_irqs {missing} are not in /proc/interrupts (not requested)")
    queue_irqs = [f for f in found if f["kind"] != OTHER]
    if found and not queue_irqs and device.get("driver"):
        warnings.append(
            f"{ifname}: driver {device['driver']!r} names no queue IRQs that fastpath recognises; "
            f"its {len(found)} IRQs are listed with kind 'other'"
        )
    if any(f["name"].startswith("mlx4-") and f["kind"] == TXRX for f in found):
        warnings.append(f"{ifname}: mlx4 assigns completion vectors to rings at run time; queue is null")
    return found, warnings


def _classify(name: str, rules) -> tuple[int | None, str] | None:
    for action in (a.strip() for a in name.split(",")):
        for pattern, kind in rules:
            m = pattern.match(action)
            if not m:
                continue
            groups = m.groupdict()
            if "gve" in groups and groups["gve"] is not None:
                return (int(groups["gve"]), "gve")  # resolved once every block is known
            queue = int(groups["q"]) if groups.get("q") is not None else None
            if kind is None:
                kind = _KIND_WORDS[groups["kind"].lower()]
            return (queue, kind)
    return None


def _resolve_gve(found: list[dict]) -> None:
    """gve: notify block i < n/2 is tx queue i; block i >= n/2 is rx queue i - n/2 (gve.h)."""
    blocks = [f for f in found if f["kind"] == "gve"]
    half = len(blocks) // 2
    for f in blocks:
        block = f["queue"]
        if block < half:
            f["kind"] = TX
        else:
            f["kind"], f["queue"] = RX, block - half


def attach_queue_irqs(queues: dict, nic_irqs: list[dict]) -> None:
    """Set queues[rx|tx][i]["irq"] from the IRQ map (a txrx IRQ serves both queue i's)."""
    by_kind: dict = {RX: {}, TX: {}}
    for f in nic_irqs:
        if f["queue"] is None:
            continue
        if f["kind"] in (RX, TXRX):
            by_kind[RX].setdefault(f["queue"], f["irq"])
        if f["kind"] in (TX, TXRX):
            by_kind[TX].setdefault(f["queue"], f["irq"])
    for kind in (RX, TX):
        for q in queues.get(kind, []):
            q["irq"] = by_kind[kind].get(q["index"])
