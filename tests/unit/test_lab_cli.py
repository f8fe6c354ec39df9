"""`fastpath lab` input checks: bad input gives a message and exit 2, never a traceback (no root needed)."""

import pytest

from fastpath import cli
from fastpath.lab import paths


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lab", "up", "--size", "0"], "lab size must be between 1 and 16 hosts, got 0"),
        (["lab", "up", "--size", "300"], "lab size must be between 1 and 16 hosts, got 300"),
        (["lab", "up", "--instance", "16"], "lab instance must be between 0 and 15, got 16"),
        (["lab", "down", "--instance", "-1"], "lab instance must be between 0 and 15, got -1"),
        (["lab", "up", "--timeout", "0"], "--timeout must be positive"),
        (["lab", "up", "--kind", "vm", "--vcpus", "0"], "--vcpus must be between 1 and 16, got 0"),
        (["lab", "up", "--kind", "vm", "--memory", "10"], "--memory must be between 512 and 16384 MiB"),
        (["lab", "up", "--kind", "vm", "--queues", "0"], "--queues must be between 1 and 16, got 0"),
        (["lab", "up", "--kind", "vm", "--distro", "sid"], "unknown distro 'sid'"),
        (["lab", "up", "--distro", "bookworm"], "--distro is for VMs: add --kind vm"),
        (["lab", "image", "--kind", "vm", "--distro", "sid"], "unknown distro 'sid'"),
    ],
)
def test_bad_input_is_a_message_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "STATE_ROOT", tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_bad_instance_in_the_environment_is_a_message(capsys, monkeypatch):
    monkeypatch.setenv("FASTPATH_LAB_INSTANCE", "eleven")
    assert cli.main(["lab", "status"]) == 2
    assert "FASTPATH_LAB_INSTANCE must be a number from 0 to 15, got 'eleven'" in capsys.readouterr().err


def test_up_without_an_image_says_how_to_build_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "IMAGE_CACHE", tmp_path / "cache")
    monkeypatch.setattr(paths, "STATE_ROOT", tmp_path / "state")
    assert cli.main(["lab", "up", "--instance", "7", "--size", "2"]) == 2
    assert "build it first with `fastpath lab image`" in capsys.readouterr().err
    assert not (tmp_path / "state").exists()  # nothing was made


def test_status_of_a_lab_that_is_down_lists_the_default_fleet(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "STATE_ROOT", tmp_path)
    assert cli.main(["lab", "status", "--instance", "7"]) == 0
    out = capsys.readouterr().out
    assert "198.18.7.11" in out and "198.18.7.101" in out
    assert "the lab is down" in out


def test_status_of_damaged_state_is_a_message(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "STATE_ROOT", tmp_path)
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "state.json").write_text("{oops")
    assert cli.main(["lab", "status", "--instance", "7"]) == 2
    assert "lab state is not valid JSON" in capsys.readouterr().err
