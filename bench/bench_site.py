# SPDX-License-Identifier: Apache-2.0
"""Benchmark: wall time of the whole site.yml on 1, 3 and 8 lab hosts, first run and idempotent re-run.

Targets (issue 5): the re-run takes at most 0.5x the first run; 8 hosts take at most 2x the time of 1.
Each size starts from freshly made lab hosts (`fastpath lab down` then `up`), so the first run really
is a first run (build, tune, deploy from nothing). After the re-run (which skips the stages that
converged, docs/converged-stages.md) a third run with fastpath_skip_converged=false runs every role
again, side by side: what the re-run would cost without the stage stamps. Prints a table and the
verdicts, met or NOT met, as measured; with --write-doc replaces its own section of
docs/PERFORMANCE.md. Not a test. Needs root and the lab image; takes 20-40 minutes for the three
sizes on a 2-CPU machine.

    .venv/bin/python bench/bench_site.py [--instance 8] [--sizes 1,3,8] [--write-doc]
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from fastpath import runner  # noqa: E402

DOC = REPO / "docs/PERFORMANCE.md"
SECTION = "## site.yml wall time (bench/bench_site.py)"
RERUN_TARGET = 0.5  # re-run / first run
SCALE_TARGET = 2.0  # 8 hosts / 1 host, first run


@dataclasses.dataclass
class Timing:
    size: int
    first_s: float
    first_ok: bool
    rerun_s: float
    rerun_ok: bool
    rerun_changed: dict[str, int]
    first_plays: dict[str, float]
    rerun_plays: dict[str, float]
    full_s: float
    full_ok: bool
    full_plays: dict[str, float]
    # stage -> "skipped on n of m hosts" in the re-run
    rerun_skipped: dict[str, str]
    # first, re-run, full re-run: % of the machine's CPU time busy during each
    busy: tuple[float, float, float]


def lab(*args: str, instance: int) -> None:
    """`fastpath lab ARGS --instance N`; a failure ends the bench with the lab's own message."""
    argv = [sys.executable, "-m", "fastpath.cli", "lab", *args, "--instance", str(instance)]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=900, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"fastpath lab {' '.join(args)} failed (exit {proc.returncode}): "
                         f"{proc.stderr.strip()}")


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat's first line."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return total - idle, total


# Run name -> share of the machine's CPU time that was busy during it (controller and lab hosts
# alike): near 100% means the run waited for CPUs, not for hosts.
BUSY: dict[str, float] = {}


def timed_site(workdir: Path, name: str, **extravars) -> tuple[float, runner.RunSummary, dict[str, float]]:
    (workdir / name).mkdir()
    busy0, total0 = cpu_ticks()
    start = time.monotonic()
    summary = runner.run("site", quiet=True, artifact_dir=str(workdir / name), extravars=extravars)
    busy1, total1 = cpu_ticks()
    BUSY[name] = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
    return time.monotonic() - start, summary, seconds_by_play(workdir / name)


def seconds_by_play(artifact_dir: Path) -> dict[str, float]:
    """Wall seconds per play name, from the runner's event timestamps (a play starts where the one
    before it ends; plays of one name, e.g. a skipped baseline import, are added together)."""
    marks = []
    for path in artifact_dir.glob("artifacts/*/job_events/*.json"):
        event = json.loads(path.read_text())
        if event.get("event") in ("playbook_on_play_start", "playbook_on_stats"):
            stamp = datetime.datetime.fromisoformat(event["created"]).timestamp()
            marks.append((stamp, (event.get("event_data") or {}).get("play", "")))
    marks.sort()
    totals: dict[str, float] = collections.defaultdict(float)
    for (start, play), (end, _next) in itertools.pairwise(marks):
        totals[play] += end - start
    return dict(totals)


def measure(size: int, instance: int, workdir: Path) -> Timing:
    print(f"size {size}: fresh lab hosts", flush=True)
    lab("down", instance=instance)
    lab("up", "--size", str(size), instance=instance)
    first_s, first, first_plays = timed_site(workdir, f"size{size}-first")
    print(f"size {size}: first run {first_s:.0f} s, {first.status}, failed: {first.failed_hosts or 'none'}",
          flush=True)
    rerun_s, rerun, rerun_plays = timed_site(workdir, f"size{size}-rerun")
    print(f"size {size}: re-run {rerun_s:.0f} s, {rerun.status}, failed: {rerun.failed_hosts or 'none'}",
          flush=True)
    full_s, full, full_plays = timed_site(workdir, f"size{size}-full", fastpath_skip_converged=False)
    print(f"size {size}: full re-run (every role) {full_s:.0f} s, {full.status}, "
          f"failed: {full.failed_hosts or 'none'}", flush=True)
    for label, summary in (("first run", first), ("re-run", rerun), ("full re-run", full)):
        if summary.failed_hosts:
            print(f"size {size}, {label}:\n{summary.table()}", flush=True)
    skipped = {stage: f"{sum(c for c, _reason in hosts.values())} of {len(hosts)}"
               for stage, hosts in sorted(rerun.stages.items())}
    return Timing(size, first_s, first.rc == 0 and not first.failed_hosts,
                  rerun_s, rerun.rc == 0 and not rerun.failed_hosts, rerun.changed_by_play,
                  first_plays, rerun_plays, full_s, full.rc == 0 and not full.failed_hosts, full_plays,
                  skipped, tuple(BUSY[f"size{size}-{run}"] for run in ("first", "rerun", "full")))


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def render(timings: list[Timing], started: datetime.datetime) -> str:
    lines = [
        SECTION,
        "",
        f"Machine: {os.cpu_count()} CPUs, kernel {platform.release()}; run {started:%Y-%m-%d %H:%M} UTC. "
        "Lab hosts are systemd-nspawn containers on this same machine, so every host's work shares "
        "its CPUs with the controller and the other hosts.",
        "",
        "| lab hosts | first run s | re-run s | re-run / first | full re-run s (every role) | full / first "
        "| stages skipped on the re-run (hosts) | CPU busy % (first / re-run / full) | all runs green |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in timings:
        ratio = t.rerun_s / t.first_s
        runs = (t.first_ok, t.rerun_ok, t.full_ok)
        green = "yes" if all(runs) else f"NO (first, re-run, full: {runs})"
        skipped = ", ".join(f"{stage} {n}" for stage, n in t.rerun_skipped.items()) or "none"
        busy = " / ".join(f"{b:.0f}" for b in t.busy)
        lines.append(f"| {t.size} | {t.first_s:.0f} | {t.rerun_s:.0f} | {ratio:.2f}x | {t.full_s:.0f} | "
                     f"{t.full_s / t.first_s:.2f}x | {skipped} | {busy} | {green} |")
    lines += ["", "| comparison | measured | target | verdict |", "|---|---|---|---|"]
    for t in timings:
        ratio = t.rerun_s / t.first_s
        lines.append(f"| re-run / first, {t.size} host(s) | {ratio:.2f}x | <= {RERUN_TARGET}x | "
                     f"{verdict(ratio, RERUN_TARGET)} |")
    by_size = {t.size: t for t in timings}
    # The smallest fleet measured is the base (1 host by default: srv1 alone, whose smoke stage is
    # skipped for want of a load client; the doc says so).
    base = min(by_size)
    if 8 in by_size and base < 8:
        for label, attr in (("first run", "first_s"), ("re-run", "rerun_s")):
            ratio = getattr(by_size[8], attr) / getattr(by_size[base], attr)
            lines.append(f"| 8 hosts / {base} host(s), {label} | {ratio:.2f}x | <= {SCALE_TARGET}x | "
                         f"{verdict(ratio, SCALE_TARGET)} |")
    lines += plays_table(timings)
    changed = {t.size: {p: n for p, n in t.rerun_changed.items() if n} for t in timings}
    lines += ["", "Plays that reported changes on the re-run (by design only the report writes a new run "
              "directory): " + "; ".join(f"{s} host(s): {c or 'none'}" for s, c in changed.items()), ""]
    return "\n".join(lines)


def plays_table(timings: list[Timing]) -> list[str]:
    """Seconds per play for every size, first run / re-run / full re-run: where the time goes."""
    names = list(dict.fromkeys(p for t in timings for p in [*t.first_plays, *t.rerun_plays, *t.full_plays]))
    lines = ["", "Seconds per play, first run / re-run / full re-run (every role):", "",
             "| play | " + " | ".join(f"{t.size} host(s)" for t in timings) + " |",
             "|---|" + "---|" * len(timings)]
    for name in names:
        cells = [f"{t.first_plays.get(name, 0):.0f} / {t.rerun_plays.get(name, 0):.0f} / "
                 f"{t.full_plays.get(name, 0):.0f}" for t in timings]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def write_doc(section: str) -> None:
    """Replace this bench's section (from its heading to the next '## ' heading) or append it."""
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--instance", type=int, default=8, help="lab instance to use (default 8)")
    parser.add_argument("--sizes", default="1,3,8", help="comma-separated fleet sizes (default 1,3,8)")
    parser.add_argument("--write-doc", action="store_true",
                        help=f"replace this bench's section of {DOC.name}")
    parser.add_argument("--keep", action="store_true", help="leave the last lab up instead of taking it down")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r} is not a comma-separated list of integers")
    if not sizes or any(not 1 <= s <= 16 for s in sizes):
        parser.error("--sizes: each size must be from 1 to 16 (the lab's limit)")
    if not 0 <= args.instance <= 9:
        parser.error("--instance must be from 0 to 9")
    if os.geteuid() != 0:
        print("bench_site.py needs root (it brings lab hosts up)", file=sys.stderr)
        return 2
    os.environ["FASTPATH_LAB_INSTANCE"] = str(args.instance)  # the lab inventory reads it
    started = datetime.datetime.now(datetime.UTC)
    timings = []
    try:
        with tempfile.TemporaryDirectory(prefix="fastpath-bench-site-") as tmp:
            for size in sizes:
                timings.append(measure(size, args.instance, Path(tmp)))
    finally:
        if not args.keep:
            lab("down", instance=args.instance)
    section = render(timings, started)
    print()
    print(section)
    if args.write_doc:
        write_doc(section)
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
