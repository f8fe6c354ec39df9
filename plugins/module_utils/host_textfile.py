# SPDX-License-Identifier: Apache-2.0
"""fastpath-textfile: this host's state and its server's counters as one node_exporter textfile.

Run on the host by a systemd timer (role host_metrics). It reads the host exactly as the report's
modules do (cpu_info, irq_info, nic_info: the same readers and findings), renders the document with
the report's own renderer (report_textfile.py: one copy of the metric names and format, shared with
the controller), appends fastpath-server's counters as the server itself wrote them (its Prometheus
textfile; the names are the C server's, never re-spelled here), and replaces the output in one step.

Usage: fastpath-textfile --out FILE [--server-textfile FILE] [--server-stats FILE]
                         [--interface IF ...] [--irq-cpus CPULIST] [--layout split|shared] [--root DIR]
Exit 0 when written, 1 when the file cannot be written, 2 on bad arguments. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from ansible_collections.fastpath.host.plugins.module_utils.atomic_file import write_atomically
from ansible_collections.fastpath.host.plugins.module_utils.commands import CommandRunner
from ansible_collections.fastpath.host.plugins.module_utils.cpu_topology import read_cpus
from ansible_collections.fastpath.host.plugins.module_utils.cpulist import CpuSetError, parse_cpulist
from ansible_collections.fastpath.host.plugins.module_utils.host_findings import read_findings
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS
from ansible_collections.fastpath.host.plugins.module_utils.irq_state import read_irqs
from ansible_collections.fastpath.host.plugins.module_utils.nic_model import read_interfaces
from ansible_collections.fastpath.host.plugins.module_utils.report_doc import SCHEMA, HostDoc
from ansible_collections.fastpath.host.plugins.module_utils.report_textfile import render_textfile

SERVER_PREFIX = "fastpath_server_"
# A sample line or a HELP/TYPE comment of the server's file; the metric name is what is checked.
_SERVER_LINE = re.compile(r"^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)[ {]")


def collect(fs: HostFS, host: str, *, interfaces: list[str] | None = None, irq_cpus: str | None = None,
            layout: str = "split", workers: list[dict] | None = None, now: float | None = None) -> dict:
    """The host document, of the shape the report role writes to hosts/<host>.json."""
    runner = CommandRunner(fs)
    cpus = read_cpus(fs)
    irqs = {str(k): v for k, v in read_irqs(fs).items()}
    nics = read_interfaces(fs, runner, interfaces or None, True)
    findings = read_findings(fs, nics, cpus, irq_cpus=irq_cpus, workers=workers or [], layout=layout)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    doc = {"schema": SCHEMA, "host": host, "collected_at": stamp, "cpus": cpus, "irqs": irqs,
           "interfaces": nics, "findings": findings, "warnings": list(fs.warnings)}
    # Through JSON as the report's documents go, so both renderers see the same types.
    return json.loads(json.dumps(doc))


def server_text(text: str | None) -> tuple[str, str | None]:
    """The server's own textfile, to append as it is: ("", reason) when absent or not the server's.
    Every metric it names must start with fastpath_server_, so it can never collide with (or
    replace) a family of the host document."""
    if text is None:
        return "", None
    if text and not text.endswith("\n"):
        return "", "the server's textfile ends without a newline (cut short)"
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _SERVER_LINE.match(line)
        if not m or not m.group(1).startswith(SERVER_PREFIX):
            return "", (f"line {lineno} of the server's textfile is not a fastpath_server_ metric: "
                        f"{line[:80]!r}")
    return text, None


def render(doc: dict, server: str | None) -> str:
    """The document's textfile, then the server's counters; a server file that is not the server's
    is left out and becomes a warning (counted in fastpath_report_warnings)."""
    extra, reason = server_text(server)
    if reason:
        doc = {**doc, "warnings": [*doc.get("warnings", []), reason]}
    return render_textfile(HostDoc.from_data(doc)) + extra


def _read(path: str | None) -> str | None:
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None  # no server on this host, or it is stopped (its /run/fastpath went with it)
    except (OSError, UnicodeDecodeError) as e:
        return f"# unreadable: {e}\n"  # refused by server_text, so it shows up as a warning


def _workers(path: str | None) -> list[dict]:
    """Where the server's workers run, from its stats JSON; none when there is no server."""
    text = _read(path)
    try:
        workers = json.loads(text).get("workers") if text else None
    except (ValueError, AttributeError):
        return []
    return [w for w in workers or [] if isinstance(w, dict)]


def _error(text: str) -> None:
    """main() is the fastpath-textfile command on the host, never part of a module: its errors go
    to its own stderr, where the journal records them."""
    sys.stderr.write(f"fastpath-textfile: {text}\n")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fastpath-textfile", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="the textfile to replace")
    p.add_argument("--server-textfile", default="/run/fastpath/stats.prom")
    p.add_argument("--server-stats", default="/run/fastpath/stats.json")
    p.add_argument("--interface", action="append", default=[], help="a NIC to report (default: every NIC)")
    p.add_argument("--irq-cpus", default=None, help="the CPUs meant to serve NIC IRQs (a cpulist)")
    p.add_argument("--layout", choices=["split", "shared"], default="split")
    p.add_argument("--root", default="/", help="root of the /proc and /sys tree to read (tests)")
    p.add_argument("--host", default=None, help="the host's name in the document (default: its hostname)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse: --help exits 0, a bad argument 2
        return e.code if isinstance(e.code, int) else 2
    if args.irq_cpus:
        try:
            parse_cpulist(args.irq_cpus)
        except CpuSetError as e:
            _error(f"--irq-cpus: {e}")
            return 2
    host = args.host or (_read("/proc/sys/kernel/hostname") or "localhost").strip()
    fs = HostFS(args.root)
    doc = collect(fs, host, interfaces=args.interface, irq_cpus=args.irq_cpus or None,
                  layout=args.layout, workers=_workers(args.server_stats))
    text = render(doc, _read(args.server_textfile))
    try:
        write_atomically(args.out, text)
    except OSError as e:
        _error(f"cannot write {args.out}: {e.strerror or e}")
        return 1
    return 0
