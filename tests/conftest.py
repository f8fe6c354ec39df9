"""Make the in-place collection importable as ansible_collections.fastpath.host in every test."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "collections"))
