"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse, so `ansible-doc` renders each one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (REPO / "plugins/modules").glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def docs():
    names = [f"fastpath.host.{m}" for m in MODULES]
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "--json", *names],
        capture_output=True, text=True, cwd=REPO,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_the_module(docs, module):
    entry = docs[f"fastpath.host.{module}"]
    assert entry["doc"]["short_description"]
    assert entry["doc"]["description"]
    assert entry["examples"].strip()
    assert entry["return"] is not None
    yaml.safe_load(entry["examples"])  # examples are valid YAML, not only present
