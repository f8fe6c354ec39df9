# SPDX-License-Identifier: Apache-2.0
"""Probe what the running kernel can do for the dataplane: io_uring and XDP, for real.

Version numbers only say what a kernel *should* support; a distribution can disable io_uring
(kernel.io_uring_disabled, 6.6+) or a seccomp/LSM policy can refuse bpf(). So the probes make the
same system calls the dataplane will make, and fall back to version rules only for the features that
cannot be probed without a NIC or a ring of our own (multishot recv, provided buffer rings).
Stdlib only: runs on the managed hosts.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import re

# New system calls share numbers on every architecture since 5.1 (io_uring_setup is 425);
# bpf() predates that and differs per architecture.
_NR_IO_URING_SETUP = 425
_NR_BPF = {"x86_64": 321, "aarch64": 280, "ppc64le": 361, "s390x": 351, "riscv64": 280}

# Kernel versions that introduced what the dataplane uses, for features probed by version only.
FEATURE_MIN_KERNEL = {
    "io_uring_provided_buffer_ring": (5, 19),  # IORING_REGISTER_PBUF_RING
    "io_uring_recvmsg_multishot": (6, 0),  # IORING_RECV_MULTISHOT for recvmsg
    "xdp_cpumap_program": (5, 9),  # programs run on the cpumap's CPU
    "so_busy_poll_budget": (5, 11),  # SO_PREFER_BUSY_POLL / SO_BUSY_POLL_BUDGET
}


def parse_release(release: str) -> tuple[int, int, int]:
    """'6.1.0-18-amd64' -> (6, 1, 0). Raises ValueError for text with no version in it."""
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", release)
    if not m:
        raise ValueError(f"cannot read a kernel version from {release!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def _syscall():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def probe_io_uring() -> dict:
    """Create and close a 2-entry ring: what io_uring_queue_init does, minus the mmap."""
    libc = _syscall()
    params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
    fd = libc.syscall(_NR_IO_URING_SETUP, ctypes.c_uint(2), params)
    if fd >= 0:
        os.close(fd)
        return {"usable": True, "reason": "io_uring_setup() created a ring"}
    err = ctypes.get_errno()
    hint = {
        errno.ENOSYS: "the kernel was built without io_uring",
        errno.EPERM: "io_uring is disabled (sysctl kernel.io_uring_disabled) or refused by seccomp",
    }.get(err, "")
    return {"usable": False, "reason": f"io_uring_setup() failed: {os.strerror(err)}. {hint}".strip()}


def probe_xdp() -> dict:
    """Ask the kernel verifier to load the smallest XDP program there is: `return XDP_PASS`."""
    nr = _NR_BPF.get(platform.machine())
    if nr is None:
        return {"usable": None, "reason": f"no bpf() syscall number known for {platform.machine()}"}
    # r0 = 2 (XDP_PASS); exit. Each instruction: code u8, dst:src u8, off s16, imm s32.
    insns = (ctypes.c_uint64 * 2)(0x00000002_0000_00B7, 0x00000000_0000_0095)
    license_ = ctypes.c_char_p(b"GPL")

    class ProgLoadAttr(ctypes.Structure):  # the first fields of union bpf_attr for BPF_PROG_LOAD
        _fields_ = [
            ("prog_type", ctypes.c_uint32),
            ("insn_cnt", ctypes.c_uint32),
            ("insns", ctypes.c_uint64),
            ("license", ctypes.c_uint64),
            ("pad", ctypes.c_uint8 * 128),  # the rest of bpf_attr, zeroed
        ]

    attr = ProgLoadAttr(
        prog_type=6,  # BPF_PROG_TYPE_XDP
        insn_cnt=2,
        insns=ctypes.addressof(insns),
        license=ctypes.cast(license_, ctypes.c_void_p).value,
    )
    libc = _syscall()
    fd = libc.syscall(nr, 5, ctypes.byref(attr), ctypes.sizeof(attr))  # 5 = BPF_PROG_LOAD
    if fd >= 0:
        os.close(fd)
        return {"usable": True, "reason": "the verifier loaded an XDP program"}
    err = ctypes.get_errno()
    hint = {
        errno.EPERM: "needs CAP_BPF and CAP_NET_ADMIN (root), and bpf() allowed by seccomp",
        errno.ENOSYS: "the kernel was built without BPF",
        errno.EINVAL: "the kernel does not know XDP programs",
    }.get(err, "")
    return {"usable": False, "reason": f"bpf(BPF_PROG_LOAD, XDP) failed: {os.strerror(err)}. {hint}".strip()}


def features_by_version(version: tuple[int, int, int]) -> dict:
    """Features that only a version can tell without a NIC or ring of our own."""
    return {name: version[:2] >= need for name, need in FEATURE_MIN_KERNEL.items()}
