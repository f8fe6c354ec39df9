"""Where the lab keeps its things on the machine; one place so tests and cleanup agree."""

from __future__ import annotations

import os
from pathlib import Path

# Overridable so unit tests can point the lab at a temporary directory.
IMAGE_CACHE = Path(os.environ.get("FASTPATH_LAB_IMAGE_CACHE", "/var/cache/fastpath/lab-image"))
STATE_ROOT = Path(os.environ.get("FASTPATH_LAB_STATE", "/var/lib/fastpath-lab"))
SSH_KEY = STATE_ROOT / "ssh" / "id_ed25519"


def instance_dir(instance: int) -> Path:
    return STATE_ROOT / str(instance)


def state_file(instance: int) -> Path:
    return instance_dir(instance) / "state.json"
