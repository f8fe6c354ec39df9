"""Nothing under roles/ or plugins/ reaches outside the collection that `ansible-galaxy collection build`
makes: every path a role or plugin builds from its own place resolves to a file the tarball ships, and
no plugin imports the fastpath CLI package (src/) or patches sys.path.

Cheap and static, so it runs with the unit tests; tests/integration/test_collection_install.py proves
the same end to end by installing the tarball and running site from an empty project.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SCANNED = ("roles", "plugins")
# A path made from where the role or playbook lives: role_path ~ '/x', "{{ role_path }}/x".
ANCHORED = re.compile(r"""\b(role_path|playbook_dir)\b\s*(?:~\s*['"]|}}\s*)(/[^'"\s}]*)""")
# A relative link in a README: [text](../../docs/x.md).
LINK = re.compile(r"\]\((\.\.?/[^)#\s]+)")
# In Python: the collection found from the plugin's own file.
FILE_PARENTS = re.compile(r"Path\(__file__\)\.resolve\(\)\.parents\[(\d+)\]")


def build_ignore(root: Path) -> list[str]:
    return yaml.safe_load((root / "galaxy.yml").read_text()).get("build_ignore") or []


def shipped(root: Path, rel: str, ignore: list[str]) -> bool:
    """Whether ansible-galaxy's build keeps rel: neither it nor a directory above it matches a pattern."""
    parts = Path(rel).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return not any(fnmatch.fnmatch(p, pattern) for p in prefixes for pattern in ignore)


def reaches_outside(root: Path) -> list[str]:
    """Every place under roles/ and plugins/ that reaches something the built collection lacks."""
    root = root.resolve()
    ignore = build_ignore(root)
    found = []

    def check(where: str, base: Path, target: str) -> None:
        resolved = Path(os.path.normpath(base / target))
        if not resolved.is_relative_to(root):
            found.append(f"{where}: {target} is outside the collection")
            return
        rel = resolved.relative_to(root).as_posix()
        if not resolved.exists():
            found.append(f"{where}: {target} -> {rel} does not exist")
        elif not shipped(root, rel, ignore):
            found.append(f"{where}: {target} -> {rel} is left out of the built collection (build_ignore)")

    for top in SCANNED:
        for path in sorted((root / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            where = path.relative_to(root).as_posix()
            text = path.read_text(errors="replace")
            if path.suffix == ".md":
                for target in LINK.findall(text):
                    check(where, path.parent, target)
                continue
            for anchor, target in ANCHORED.findall(text):
                # role_path is roles/<role>/; playbook_dir is playbooks/ for the collection's playbooks.
                base = path.parents[len(path.relative_to(root).parts) - 3] if anchor == "role_path" \
                    else root / "playbooks"
                check(where, base, target.lstrip("/"))
            unanchored = [line for line in text.splitlines() if "../" in line and not ANCHORED.search(line)]
            found += [f"{where}: a relative path not anchored at role_path: {line.strip()}"
                      for line in unanchored]
            if path.suffix == ".py":
                found += python_reaches(root, path, where, text)
    return found


def python_reaches(root: Path, path: Path, where: str, text: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(text)):
        if _is_sys_path(node):
            found.append(f"{where}: changes sys.path")
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        found += [f"{where}: imports {name}, the fastpath CLI package (src/), not the collection"
                  for name in names if name == "fastpath" or name.startswith("fastpath.")]
    for depth in FILE_PARENTS.findall(text):
        if not path.resolve().parents[int(depth)].is_relative_to(root):
            found.append(f"{where}: Path(__file__).parents[{depth}] is outside the collection")
    return found


def _is_sys_path(node) -> bool:
    """sys.path.insert/append/extend(...) or an assignment to sys.path."""
    def is_sys_path(expr) -> bool:
        return (isinstance(expr, ast.Attribute) and expr.attr == "path"
                and isinstance(expr.value, ast.Name) and expr.value.id == "sys")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("insert", "append", "extend") and is_sys_path(node.func.value)
    return isinstance(node, ast.Assign) and any(is_sys_path(t) for t in node.targets)


def test_nothing_under_roles_or_plugins_reaches_outside_the_built_collection():
    assert reaches_outside(REPO) == []


def test_the_scan_finds_each_kind_of_reach(tmp_path):
    """A collection that reaches the way this one once did: src/ on PYTHONPATH, runs/ beside roles/,
    the CLI package imported by a plugin. Each one is named."""
    (tmp_path / "galaxy.yml").write_text("build_ignore: [src, runs]\n")
    for d in ("src/fastpath", "runs", "native", "roles/report/tasks", "roles/report/defaults",
              "plugins/inventory"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "roles/report/tasks/render.yml").write_text(
        "env:\n  PYTHONPATH: \"{{ (role_path ~ '/../../src') | realpath }}\"\n"
        "native: \"{{ role_path }}/../../native\"\n"
        "old: ../../../elsewhere\n")
    (tmp_path / "roles/report/defaults/main.yml").write_text(
        "report_dir: \"{{ role_path ~ '/../../runs' }}\"\n")
    (tmp_path / "plugins/inventory/lab.py").write_text(
        "import sys\nfrom fastpath.lab import fleet\nsys.path.append('x')\n")
    found = reaches_outside(tmp_path)
    left_out = "is left out of the built collection (build_ignore)"
    assert found == [
        f"roles/report/defaults/main.yml: ../../runs -> runs {left_out}",
        f"roles/report/tasks/render.yml: ../../src -> src {left_out}",
        "roles/report/tasks/render.yml: a relative path not anchored at role_path: old: ../../../elsewhere",
        "plugins/inventory/lab.py: imports fastpath.lab, the fastpath CLI package (src/), not the collection",
        "plugins/inventory/lab.py: changes sys.path",
    ], found
