"""Reading mount points from mountinfo text, as `down` and the leak checks use it."""

from pathlib import Path

from fastpath.lab import mounts

MOUNTINFO = """\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
101 22 0:50 / /var/lib/fastpath-lab/2/srv1/root rw,relatime - overlay overlay rw,lowerdir=/x
102 22 0:51 / /var/lib/fastpath-lab/2/cli1/root rw,relatime - overlay overlay rw,lowerdir=/x
103 22 0:52 / /var/lib/fastpath-lab/20/srv1/root rw,relatime - overlay overlay rw,lowerdir=/x
104 22 0:53 / /tmp/with\\040space rw,relatime - tmpfs tmpfs rw
"""


def test_parse_mount_points_unescapes_octal():
    assert mounts.parse_mount_points(MOUNTINFO)[-1] == "/tmp/with space"


def test_mounted_under_lists_only_that_directory_latest_first(monkeypatch, tmp_path):
    info = tmp_path / "mountinfo"
    info.write_text(MOUNTINFO)
    monkeypatch.setattr(mounts, "MOUNTINFO", info)
    assert mounts.mounted_under(Path("/var/lib/fastpath-lab/2")) == [
        "/var/lib/fastpath-lab/2/cli1/root", "/var/lib/fastpath-lab/2/srv1/root"]
    assert mounts.is_mounted(Path("/var/lib/fastpath-lab/2/srv1/root/"))
    assert not mounts.is_mounted(Path("/var/lib/fastpath-lab/2/srv2/root"))
