# SPDX-License-Identifier: Apache-2.0
"""The roles of this collection, found by name, and their variable files read as Ansible reads them
(trusted as templates): for the controller-side plugins that need a role's own declarations or
defaults (the stage_stamp action, the role_defaults lookup) without reaching for paths by hand."""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleError

# plugins/plugin_utils/collection_roles.py -> the collection root (the repository itself, in place).
COLLECTION_ROOT = Path(__file__).resolve().parents[2]
COLLECTION_PREFIX = "fastpath.host."


def role_dir(name: str, must_have: str = "tasks") -> Path:
    """roles/<name> of this collection, for `name` or `fastpath.host.<name>`, holding `must_have`."""
    short = name[len(COLLECTION_PREFIX):] if name.startswith(COLLECTION_PREFIX) else name
    path = COLLECTION_ROOT / "roles" / short
    if not short or "." in short or "/" in short or not (path / must_have).exists():
        raise AnsibleError(f"role {name!r}: no {must_have} in this collection's roles")
    return path


def load_vars(loader, path: Path) -> dict:
    """A role's variables file as a mapping ({} when it is absent or empty)."""
    data = loader.load_from_file(str(path), trusted_as_template=True) if path.is_file() else None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnsibleError(f"{path}: expected a mapping of variables")
    return data
