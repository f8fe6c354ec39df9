"""`fastpath report RUN_DIR` (also `python -m fastpath.report RUN_DIR`): render a gathered run.

Prints one JSON line describing what it wrote, for the report role to show. Exit codes: 0 written,
2 bad input (no such run, unreadable host document), 3 the files could not be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from fastpath.report.build import build_run
from fastpath.report.errors import ReportError

EXIT_BAD_INPUT = 2
EXIT_WRITE_FAILED = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="run directory holding hosts/<host>.json")
    parser.add_argument(
        "--compare-to",
        metavar="RUN",
        help='earlier run to diff against: a run directory, a run name beside RUN_DIR, or "previous"',
    )
    parser.add_argument(
        "--missing",
        action="append",
        default=[],
        metavar="HOST",
        help="a host of the play that gave no data (listed on the page); repeatable",
    )


def run(args: argparse.Namespace) -> int:
    try:
        result = build_run(args.run_dir, args.compare_to, args.missing)
    except ReportError as e:
        print(f"fastpath report: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:
        print(
            f"fastpath report: cannot write into {args.run_dir}: {e.strerror or e} ({e.filename})",
            file=sys.stderr,
        )
        return EXIT_WRITE_FAILED
    print(json.dumps(asdict(result), sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastpath.report", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
