# SPDX-License-Identifier: Apache-2.0
"""A NIC as it will read after `ethtool -L`, for check mode, which plans without making the change.

The real run changes the channels, reads the NIC again and plans the IRQs of the queues that then
exist. Check mode cannot read what does not exist yet; planning from the NIC as it is now pins the
IRQs of queues the change takes away, and misses the queues it adds. This forecast keeps the
queues below the new counts and, per driver, the IRQs that will still be there:
- Most drivers (ice, i40e, iavf, idpf, ixgbe, igb, bnxt_en, ena, gve, mana, sfc) request one IRQ per
  channel when the channels are (re)configured: the IRQs of removed channels are freed.
- virtio_net allocates a vector per virtqueue at probe, and mlx5/mlx4 a completion vector per CPU:
  their IRQs stay after `ethtool -L`, and the idle ones go to housekeeping as now.
A queue the change adds has no IRQ number before the change: the forecast lists it under
`forecast.irqs_unknown`, and the real run pins it once it exists. Stdlib only.
"""

from __future__ import annotations

import copy

VECTORS_STAY = frozenset({"virtio_net", "mlx5_core", "mlx4_en", "mlx4_core"})
_QUEUE_KEYS = {"rx": {"rps_cpus": "", "rps_flow_cnt": 0}, "tx": {"xps_cpus": "", "xps_rxqs": ""}}


def queue_counts(nic: dict, channels: dict) -> tuple[int, int]:
    """(rx, tx) queues once `channels` is set; a kind it leaves out keeps its current count."""
    now = nic.get("channels") or {}

    def count(kind: str) -> int:
        value = channels.get(kind, now.get(kind))
        return int(value or 0)

    combined = count("combined")
    rx, tx = combined + count("rx"), combined + count("tx")
    if not rx and not tx:  # no channel counts known at all: the queues as they are
        queues = nic.get("queues") or {}
        return len(queues.get("rx") or []), len(queues.get("tx") or [])
    return rx, tx


def after_channels(nic: dict, channels: dict) -> dict:
    """nic_info's entry for `nic` as it will read once `channels` ({combined: n} or {rx, tx}) is set,
    with `forecast` saying what was forecast and which queues' IRQs are not known yet."""
    out = copy.deepcopy(nic)
    n_rx, n_tx = queue_counts(nic, channels)
    queues = out.setdefault("queues", {})
    for direction, n in (("rx", n_rx), ("tx", n_tx)):
        have = [q for q in queues.get(direction) or [] if int(q["index"]) < n]
        known = {int(q["index"]) for q in have}
        have += [{"index": i, "irq": None, **_QUEUE_KEYS[direction]} for i in range(n) if i not in known]
        queues[direction] = sorted(have, key=lambda q: int(q["index"]))
    now = out.get("channels")
    if isinstance(now, dict):
        now.update({k: int(v) for k, v in channels.items()})
    stay = out.get("driver") in VECTORS_STAY
    if not stay:
        out["irqs"] = [i for i in out.get("irqs") or [] if _kept(i, n_rx, n_tx)]
        for direction in ("rx", "tx"):
            for q in queues[direction]:
                if q.get("irq") is not None and not any(i["irq"] == q["irq"] for i in out["irqs"]):
                    q["irq"] = None
    unknown = sorted({f"{d}-{q['index']}" for d in ("rx", "tx") for q in queues[d] if q.get("irq") is None})
    out["forecast"] = {
        "channels": dict(channels),
        "irqs_stay": stay,
        "irqs_unknown": unknown if (out.get("irqs") or not stay) else [],
        "reason": (f"check mode: planned for the queues ethtool -L {_show(channels)} will leave; "
                   + ("this driver keeps every IRQ" if stay else
                      "the IRQs of removed channels are freed, those of new ones are known only after")),
    }
    return out


def _kept(irq: dict, n_rx: int, n_tx: int) -> bool:
    queue, kind = irq.get("queue"), irq.get("kind")
    if queue is None or kind == "other":
        return True
    limit = {"rx": n_rx, "tx": n_tx}.get(kind, min(n_rx, n_tx))
    return int(queue) < limit


def _show(channels: dict) -> str:
    return " ".join(f"{k} {v}" for k, v in sorted(channels.items()))
