"""The controller-side digest of a stage's sources: every source file's path and content count, the
build output and caches do not, and a source that is missing is not silently ignored."""

from __future__ import annotations

from ansible_collections.fastpath.host.plugins.action.stage_stamp import digest_sources


def make(tmp_path):
    (tmp_path / "roles/r/tasks").mkdir(parents=True)
    (tmp_path / "roles/r/tasks/main.yml").write_text("- ping:\n")
    (tmp_path / "native/build").mkdir(parents=True)
    (tmp_path / "native/build/fastpath-server").write_bytes(b"\x7fELF")
    (tmp_path / "native/server.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "native/__pycache__").mkdir()
    (tmp_path / "native/__pycache__/x.cpython-311.pyc").write_bytes(b"\0")
    return tmp_path


def test_the_same_sources_give_the_same_digest(tmp_path):
    root = make(tmp_path)
    assert digest_sources(root, ["roles/r", "native"]) == digest_sources(root, ["native", "roles/r"])


def test_a_source_edit_changes_the_digest(tmp_path):
    root = make(tmp_path)
    before = digest_sources(root, ["roles/r", "native"])
    (root / "native/server.c").write_text("int main(void) { return 1; }\n")
    assert digest_sources(root, ["roles/r", "native"]) != before


def test_a_renamed_source_changes_the_digest(tmp_path):
    root = make(tmp_path)
    before = digest_sources(root, ["native"])
    (root / "native/server.c").rename(root / "native/main.c")
    assert digest_sources(root, ["native"]) != before


def test_build_output_and_caches_do_not_count(tmp_path):
    root = make(tmp_path)
    before = digest_sources(root, ["native"])
    (root / "native/build/fastpath-server").write_bytes(b"\x7fELF rebuilt")
    (root / "native/__pycache__/x.cpython-311.pyc").write_bytes(b"\1")
    assert digest_sources(root, ["native"]) == before


def test_a_missing_source_counts(tmp_path):
    root = make(tmp_path)
    assert digest_sources(root, ["native", "nowhere"]) != digest_sources(root, ["native"])


def test_two_clones_digest_alike(tmp_path):
    one, two = make(tmp_path / "one"), make(tmp_path / "two")
    assert digest_sources(one, ["roles/r", "native"]) == digest_sources(two, ["roles/r", "native"])
