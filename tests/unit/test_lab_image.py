"""The lab image's recipe, cache key, mirror discovery and cache handling (no build: that is the lab test)."""

import pytest

from fastpath.lab import image, paths
from fastpath.lab.errors import EXIT_USAGE, LabError

DEB822 = """\
Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_mirror_comes_from_deb822_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert image.apt_mirror(tmp_path) == "http://mirror.example/debian"


def test_mirror_comes_from_one_line_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main contrib\n")
    assert image.apt_mirror(tmp_path) == "http://one.example/debian"


def test_mirror_falls_back_to_debians_own(tmp_path):
    assert image.apt_mirror(tmp_path) == image.DEFAULT_MIRROR


def test_recipe_hash_is_stable_and_changes_with_the_package_list(monkeypatch):
    first = image.recipe_hash(image.recipe("http://m/debian"))
    assert first == image.recipe_hash(image.recipe("http://m/debian"))
    assert len(first) == 12
    monkeypatch.setattr(image, "PACKAGES", (*image.PACKAGES, "tcpdump"))
    assert image.recipe_hash(image.recipe("http://m/debian")) != first


def test_recipe_installs_what_the_roles_need():
    rec = image.recipe("http://m/debian")
    for package in ("systemd-sysv", "openssh-server", "python3", "clang", "libbpf-dev", "liburing-dev",
                    "bpftool", "xdp-tools", "iperf3"):
        assert package in rec["packages"]


def test_a_missing_image_tells_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "IMAGE_CACHE", tmp_path)
    wanted = r"no lab image at .*`fastpath lab image` \(or `make lab-image`\)"
    with pytest.raises(LabError, match=wanted) as err:
        image.rootfs()
    assert err.value.exit_code == EXIT_USAGE


def test_a_half_built_image_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "IMAGE_CACHE", tmp_path)
    (image.image_dir() / "rootfs" / "etc").mkdir(parents=True)  # no systemd inside
    with pytest.raises(LabError, match="no lab image"):
        image.rootfs()


def _forbid_commands(monkeypatch):
    def refuse(argv, **_):
        raise AssertionError(f"ran {argv} but the image is cached")

    monkeypatch.setattr(image, "run", refuse)


def test_a_cached_image_is_reused_without_building(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "IMAGE_CACHE", tmp_path)
    _forbid_commands(monkeypatch)
    cached = image.image_dir()
    cached.mkdir()
    assert image.build() == cached
    assert "(cached)" in capsys.readouterr().out


def test_rebuilding_an_image_a_running_lab_uses_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "IMAGE_CACHE", tmp_path)
    _forbid_commands(monkeypatch)
    cached = image.image_dir()
    cached.mkdir()
    with pytest.raises(LabError, match=r"instance\(s\) 0, 2 run on it") as err:
        image.build(rebuild=True, in_use={str(cached): [0, 2]})
    assert err.value.exit_code == EXIT_USAGE


def test_prune_removes_only_unused_images_of_other_recipes(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "IMAGE_CACHE", tmp_path)
    names = ("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "debs")
    keep, unused, used, debs = (tmp_path / n for n in names)
    for d in (keep, unused, used, debs):
        d.mkdir()
    image._prune(keep, {str(used): [3]})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aaaaaaaaaaaa", "cccccccccccc", "debs"]
