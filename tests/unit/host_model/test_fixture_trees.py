"""The checked-in trees are exactly what the generator builds (no hand edits drift in)."""

import os

import host_trees


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
    have, want = snapshot(host_trees.root()), snapshot(tmp_path)
    differing = sorted(k for k in have.keys() | want.keys() if have.get(k) != want.get(k))
    assert differing == [], "regenerate with: python3 tests/fixtures/host_model/build_trees.py"


def test_the_archive_is_byte_for_byte_what_the_generator_writes(builder):
    """Also the archive's own text, so that regenerating it never shows a diff of order or format."""
    assert host_trees.ARCHIVE.read_text() == builder.archive_text(), (
        "regenerate with: python3 tests/fixtures/host_model/build_trees.py")
