# SPDX-License-Identifier: Apache-2.0
"""Benchmark: nic_info + irq_info models on a fake 256-CPU host with 4 NICs x 64 queues.

Target: under 1 s for both. Prints the measured times (best and median of N runs); not a test.

    .venv/bin/python bench/bench_host_model.py [--runs 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.fastpath.host.plugins.module_utils.commands import CommandRunner  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.cpu_topology import read_cpus  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.findings import build_findings  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.hostfs import HostFS  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.irq_state import read_irqs  # noqa: E402
from ansible_collections.fastpath.host.plugins.module_utils.nic_model import read_interfaces  # noqa: E402

TARGET_S = 1.0


def load_builder():
    path = REPO / "tests/fixtures/host_model/build_trees.py"
    spec = importlib.util.spec_from_file_location("build_trees", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_run(root: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    fs = HostFS(root)
    irqs = read_irqs(fs)  # irq_info
    fs2 = HostFS(root)
    # nic_info: interfaces (reads /proc/interrupts itself), then the CPU model and findings it adds.
    nics = read_interfaces(fs2, CommandRunner(fs2))
    build_findings(nics, read_cpus(fs2), {}, [])
    elapsed = time.perf_counter() - start
    queue_irqs = sum(1 for n in nics.values() for i in n["irqs"] if i["kind"] != "other")
    return elapsed, len(irqs), queue_irqs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    with tempfile.TemporaryDirectory(prefix="fastpath-bench-") as tmp:
        root = Path(tmp) / "host256"
        load_builder().host256().write(root)
        times = []
        for _run in range(args.runs):
            elapsed, n_irqs, n_queue = one_run(str(root))
            times.append(elapsed)
    best, median = min(times), statistics.median(times)
    verdict = "met" if median < TARGET_S else "NOT MET"
    print(f"host: 256 possible CPUs (240 online), 4 NICs x 64 queues, {n_irqs} /proc/interrupts lines, "
          f"{n_queue} queue IRQs mapped")
    print(f"nic_info + irq_info: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms, "
          f"{args.runs} runs (target < {TARGET_S * 1000:.0f} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
