# SPDX-License-Identifier: Apache-2.0
"""CPU set algebra: cpulists ("0-3,8") and hex masks ("ff,00000000") <-> sets of ints.

Sets of ints inside, cpulists at every interface, masks only at the /proc and /sys boundary.
Masks follow the kernel's bitmap format: comma-separated 32-bit groups, most significant first,
so they stay correct beyond 64 CPUs. Stdlib only: this runs on the managed hosts.
"""

from __future__ import annotations

_GROUP_BITS = 32


class CpuSetError(ValueError):
    """Raised for text that is not a valid cpulist or mask; the message names the bad part."""


def parse_cpulist(text: str) -> frozenset[int]:
    """Parse a kernel cpulist: "0-3,8", "" (empty), or a strided range "0-15:2/4".

    The strided form is the kernel's bitmap_parselist syntax: in "a-b:used/group", within each
    group of `group` CPUs starting at a, the first `used` are taken.
    """
    text = text.strip()
    if text in ("", "(null)"):
        return frozenset()
    cpus: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise CpuSetError(f"empty element in cpulist {text!r}")
        rng, _sep, stride = part.partition(":")
        lo_s, dash, hi_s = rng.partition("-")
        lo = _nonneg_int(lo_s, text)
        hi = _nonneg_int(hi_s, text) if dash else lo
        if hi < lo:
            raise CpuSetError(f"range {rng!r} runs backwards in cpulist {text!r}")
        used, group = 1, 1
        if stride:
            used_s, slash, group_s = stride.partition("/")
            if not slash:
                raise CpuSetError(f"stride {stride!r} must be used/group in cpulist {text!r}")
            used, group = _nonneg_int(used_s, text), _nonneg_int(group_s, text)
            if group == 0 or used == 0 or used > group:
                raise CpuSetError(f"stride {stride!r} needs 0 < used <= group in cpulist {text!r}")
        cpus.update(c for c in range(lo, hi + 1) if (c - lo) % group < used)
    return frozenset(cpus)


def format_cpulist(cpus) -> str:
    """Format CPUs as the kernel does: ascending, consecutive runs joined ("0-3,8")."""
    ordered = sorted(set(cpus))
    if any(c < 0 for c in ordered):
        raise CpuSetError(f"negative CPU number in {ordered!r}")
    runs: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        runs.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(runs)


def parse_mask(text: str) -> frozenset[int]:
    """Parse a hex CPU mask as /proc/irq/N/smp_affinity or rps_cpus shows it ("ff,00000000")."""
    text = text.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if not text:
        raise CpuSetError("empty CPU mask")
    cpus: set[int] = set()
    groups = text.split(",")
    for n, group in enumerate(reversed(groups)):
        if not group or len(group) > 8 or any(ch not in "0123456789abcdef" for ch in group):
            raise CpuSetError(f"group {group!r} is not 1-8 hex digits in mask {text!r}")
        value = int(group, 16)
        base = n * _GROUP_BITS
        cpus.update(base + bit for bit in range(_GROUP_BITS) if value >> bit & 1)
    return frozenset(cpus)


def format_mask(cpus, nr_cpus: int | None = None) -> str:
    """Format CPUs as the kernel prints a bitmap of `nr_cpus` bits (lib/vsprintf.c bitmap_string).

    Groups of 32 bits, comma-separated, most significant first; every group 8 hex digits wide
    except the first, which is as wide as its share of nr_cpus. nr_cpus defaults to just enough.
    """
    cpus = sorted(set(cpus))
    if any(c < 0 for c in cpus):
        raise CpuSetError(f"negative CPU number in {cpus!r}")
    needed = cpus[-1] + 1 if cpus else 1
    nbits = max(nr_cpus or 0, needed)
    ngroups = -(-nbits // _GROUP_BITS)
    value = 0
    for c in cpus:
        value |= 1 << c
    first_bits = nbits - _GROUP_BITS * (ngroups - 1)
    parts = []
    for g in reversed(range(ngroups)):
        width = 8 if g != ngroups - 1 else -(-first_bits // 4)
        parts.append(format((value >> (g * _GROUP_BITS)) & 0xFFFFFFFF, f"0{width}x"))
    return ",".join(parts)


def _nonneg_int(s: str, whole: str) -> int:
    s = s.strip()
    if not s.isdigit():
        raise CpuSetError(f"{s!r} is not a CPU number in cpulist {whole!r}")
    return int(s)
