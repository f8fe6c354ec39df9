"""`fastpath run [site|STAGE]`: run the whole site.yml or one stage and print a per-host summary."""

from __future__ import annotations

import argparse
import json
import sys

from . import runner


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "stage", nargs="?", default="site", help=f"site (default) or one of {', '.join(runner.STAGES)}"
    )
    parser.add_argument("-i", "--inventory", help="inventory path (default: inventories/lab)")
    parser.add_argument("-l", "--limit", help="limit the run to these hosts or groups")
    parser.add_argument("-e", "--extra-var", action="append", default=[], metavar="KEY=VALUE",
                        help="extra variable; may be repeated")
    parser.add_argument("--check", action="store_true", help="change nothing, report what would change")
    parser.add_argument("--diff", action="store_true", help="show the differences of what changes")
    parser.add_argument("--quiet", action="store_true", help="print only the summary, not Ansible's output")
    parser.add_argument("--json", metavar="PATH", help="also write the summary as JSON to PATH")


def _extravars(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"extra variable {pair!r} is not KEY=VALUE")
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    try:
        extravars = _extravars(args.extra_var)
        runner.playbook_for(args.stage)
    except ValueError as err:
        print(f"fastpath run: {err}", file=sys.stderr)
        return 2
    summary = runner.run(
        args.stage, inventory=args.inventory, extravars=extravars, limit=args.limit,
        check=args.check, diff=args.diff, quiet=args.quiet,
    )
    print()
    print(summary.table())
    print(f"ansible-runner: {summary.status} (rc={summary.rc})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"status": summary.status, "rc": summary.rc, "changed_by_play": summary.changed_by_play,
                 "hosts": {h: vars(r) for h, r in summary.hosts.items()}},
                f, indent=2,
            )
    if summary.failed_hosts:
        print(f"\nfailed: {', '.join(summary.failed_hosts)}", file=sys.stderr)
        return 1
    return 0 if summary.rc == 0 else 1
