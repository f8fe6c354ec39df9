"""The checked-in trees are exactly what the generator builds (no hand edits drift in)."""

import os

from conftest import TREES


def snapshot(root) -> dict:
    """{relative path: file text, "-> target" for a symlink, "/" for a directory}; links not followed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                out[rel] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                out[rel] = "/"
            else:
                with open(path) as f:
                    out[rel] = f.read()
    return out


def test_checked_in_trees_match_the_generator(tmp_path, builder):
    builder.write_all(tmp_path)
    have, want = snapshot(TREES), snapshot(tmp_path)
    differing = sorted(k for k in have.keys() | want.keys() if have.get(k) != want.get(k))
    assert differing == [], "regenerate with tests/fixtures/host_model/build_trees.py"
