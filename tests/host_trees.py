"""The host-model fixture trees, unpacked from their text archive once per test process.

tests/fixtures/host_model/trees.ttar holds them (textarchive.py says why they are not checked in as
directories); the first call unpacks it into a temporary directory, removed when the process exits.
Tests that change a tree copy it first (shutil.copytree(..., symlinks=True)).
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "host_model"
ARCHIVE = FIXTURES / "trees.ttar"
sys.path.insert(0, str(FIXTURES))
import textarchive  # noqa: E402


@cache
def root() -> Path:
    """The directory holding every tree (one subdirectory per driver, and `broken`)."""
    tmp = Path(tempfile.mkdtemp(prefix="fastpath-trees."))
    atexit.register(shutil.rmtree, tmp, True)
    textarchive.unpack(ARCHIVE.read_text(), tmp)
    return tmp


def tree(name: str) -> Path:
    path = root() / name
    assert path.is_dir(), f"no fixture tree {name!r} in {ARCHIVE}: regenerate with build_trees.py"
    return path


def names() -> list[str]:
    return sorted(p.name for p in root().iterdir() if p.is_dir())
