# SPDX-License-Identifier: Apache-2.0
"""Pack the module_utils that fastpath-reapply imports into one zip, importable straight from sys.path.

Usage: pack_reapply_lib.py MODULE_UTILS_DIR DEST.zip NAME [NAME ...]

One file instead of a tree: the host gets it in one copy, which compares one checksum, where a tree
costs a round trip per file on every run. The same sources give the same bytes (fixed timestamps,
fixed order), so the copy reports a change exactly when a source changed. The __init__.py of every
level makes ansible_collections a regular package inside the zip: a regular package shadows nothing
and is shadowed by no namespace package of another Ansible on the host.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

PACKAGE = "ansible_collections/fastpath/host/plugins/module_utils"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no build time leaks into the bytes


def add(archive: zipfile.ZipFile, path: str, data: bytes) -> None:
    info = zipfile.ZipInfo(path, date_time=FIXED_TIME)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    source, dest, names = Path(argv[0]), argv[1], argv[2:]
    missing = [n for n in names if not (source / f"{n}.py").is_file()]
    if missing:
        print(f"pack_reapply_lib: not in {source}: {', '.join(n + '.py' for n in missing)}", file=sys.stderr)
        return 1
    parts = PACKAGE.split("/")
    with zipfile.ZipFile(dest, "w") as archive:
        for depth in range(1, len(parts) + 1):
            add(archive, "/".join(parts[:depth]) + "/__init__.py", b"")
        for name in sorted(names):
            add(archive, f"{PACKAGE}/{name}.py", (source / f"{name}.py").read_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
