"""Host documents for the report tests, made by the real host-model modules on fixture trees.

Each module's main() runs in-process with its arguments patched in (ansible's own testing helper),
exactly as Ansible would run it on a host whose /proc and /sys are the fixture tree; the results
are assembled the way the report role assembles them and sent through JSON, as the role does.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import host_trees
from ansible.module_utils.testing import patch_module_args

REPO = Path(__file__).resolve().parents[3]
BUILDER = REPO / "tests" / "fixtures" / "host_model" / "build_trees.py"
COLLECTED_AT = "2025-01-31T12:00:00Z"


def run_module(name: str, args: dict) -> dict:
    module = importlib.import_module(f"ansible_collections.fastpath.host.plugins.modules.{name}")
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        module.main()
    result = json.loads(out.getvalue())
    assert not result.get("failed"), f"{name} failed on {args}: {result.get('msg')}"
    return result


def host_data(root: Path, host: str | None = None, collected_at: str = COLLECTED_AT,
              nic_args: dict | None = None, server: dict | None = None) -> dict:
    """The JSON document the report role writes for a host whose /proc and /sys are `root`;
    `server` is fastpath-server's stats document on it, and its workers go to nic_info as the role
    passes them."""
    cpu = run_module("cpu_info", {"root": str(root)})
    irq = run_module("irq_info", {"root": str(root)})
    args = {"root": str(root), **(nic_args or {})}
    if server is not None:
        args["workers"] = server["workers"]
    nic = run_module("nic_info", args)
    warnings = []
    for result in (cpu, irq, nic):
        warnings += [w for w in map(_warning_text, result.get("warnings", [])) if w not in warnings]
    doc = {
        "schema": "fastpath.report/1",
        "host": host or root.name,
        "collected_at": collected_at,
        "cpus": cpu["cpus"],
        "irqs": irq["irqs"],
        "interfaces": nic["interfaces"],
        "findings": nic.get("findings", []),
        "server": server,
        "warnings": warnings,
    }
    return json.loads(json.dumps(doc))


def _warning_text(warning) -> str:
    """ansible-core 2.19 modules print warnings as summaries; a registered result holds the text."""
    if isinstance(warning, dict):
        return warning.get("event", {}).get("msg", str(warning))
    return warning


def tree(name: str) -> Path:
    return host_trees.tree(name)


def driver_trees() -> list[str]:
    return host_trees.names()


def build_host256(out: Path) -> Path:
    """The host model's generated 256-CPU host (4 NICs x 64 queues), written under `out`."""
    spec = importlib.util.spec_from_file_location("build_trees", BUILDER)
    builder = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_trees", builder)
    spec.loader.exec_module(builder)
    root = out / "host256"
    builder.host256().write(root)
    return root
