# SPDX-License-Identifier: Apache-2.0
"""The fleet's verify results as one table and as the JSON kept in the run's directory."""

from __future__ import annotations


def verify_summary(hosts: dict) -> dict:
    """{hosts: {name: {status, checked, checks, differences, skipped, plan}}, differing_hosts: [...]}:
    every setting compared, desired and live, not only those that differ."""
    out = {}
    for name, result in sorted(hosts.items()):
        if result.get("failed") or "checks" not in result:
            out[name] = {"status": "unread", "reason": result.get("msg", "no result"), "differences": []}
            continue
        out[name] = {
            "status": "differs" if result["differences"] else "as declared",
            "checked": len(result["checks"]),
            "checks": result["checks"],
            "differences": result["differences"],
            "skipped": result["skipped"],
            "plan": result.get("plan"),
        }
    return {"hosts": out, "differing_hosts": [n for n, h in out.items() if h["status"] != "as declared"]}


def verify_table(hosts: dict) -> list[str]:
    """One line per host, then one per difference: host, setting, desired, live."""
    summary = verify_summary(hosts)["hosts"]
    rows = [("HOST", "STATUS", "SETTING", "DESIRED", "LIVE")]
    for name, h in summary.items():
        if h["status"] == "unread":
            rows.append((name, "unread", "-", "-", h["reason"]))
            continue
        rows.append((name, h["status"], f"{h['checked']} checked, {len(h['skipped'])} skipped", "", ""))
        rows += [(name, "differs", d["setting"], d["desired"], d["live"]) for d in h["differences"]]
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


class FilterModule:
    """fastpath.host.verify_summary, fastpath.host.verify_table."""

    def filters(self):
        return {"verify_summary": verify_summary, "verify_table": verify_table}
