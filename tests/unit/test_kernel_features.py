"""Preflight's kernel probes: real system calls on this machine, including the refusal path."""

import json
import os

import pytest

from ansible_collections.fastpath.host.plugins.module_utils import kernel_features as kf


@pytest.mark.parametrize(
    ("release", "version"),
    [
        ("6.1.0-18-amd64", (6, 1, 0)),
        ("5.15.0-1051-aws", (5, 15, 0)),
        ("6.18.44-fc", (6, 18, 44)),
        ("4.19", (4, 19, 0)),
    ],
)
def test_parse_release(release, version):
    assert kf.parse_release(release) == version


def test_parse_release_refuses_text_without_a_version():
    with pytest.raises(ValueError, match="cannot read a kernel version"):
        kf.parse_release("linux")


def test_features_follow_the_kernel_that_introduced_them():
    assert kf.features_by_version((5, 15, 0))["io_uring_recvmsg_multishot"] is False
    assert kf.features_by_version((6, 0, 0))["io_uring_recvmsg_multishot"] is True
    assert kf.features_by_version((5, 19, 3))["io_uring_provided_buffer_ring"] is True


@pytest.mark.skipif(os.geteuid() != 0, reason="the XDP probe needs root to succeed")
def test_probes_succeed_as_root_on_this_kernel():
    assert kf.probe_io_uring()["usable"] is True
    assert kf.probe_xdp() == {"usable": True, "reason": "the verifier loaded an XDP program"}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_xdp_probe_says_why_when_the_kernel_refuses():
    # The same probe in a child that dropped to `nobody`: the kernel says EPERM, the reason says what to do.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop privileges, probe, report, and leave without running pytest's teardown
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, json.dumps(kf.probe_xdp()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as f:
        result = json.loads(f.read() or "{}")
    os.waitpid(pid, 0)
    assert result["usable"] is False
    assert "Operation not permitted" in result["reason"] and "CAP_BPF" in result["reason"]
