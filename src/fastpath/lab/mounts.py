"""Overlay mounts of the lab hosts' root filesystems, read from /proc/self/mountinfo."""

from __future__ import annotations

from pathlib import Path

from .run import run

MOUNTINFO = Path("/proc/self/mountinfo")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal (\040 ...).
    return field.encode().decode("unicode_escape") if "\\" in field else field


def parse_mount_points(text: str) -> list[str]:
    """Mount points (field 5) of every line of a mountinfo text, in mount order."""
    return [_unescape(line.split()[4]) for line in text.splitlines() if len(line.split()) > 4]


def mounted_under(directory: Path) -> list[str]:
    """Mount points at or below directory, deepest (latest) first so they can be unmounted in order."""
    base = str(directory).rstrip("/")
    points = parse_mount_points(MOUNTINFO.read_text())
    return [p for p in reversed(points) if p == base or p.startswith(base + "/")]


def is_mounted(point: Path) -> bool:
    return str(point).rstrip("/") in parse_mount_points(MOUNTINFO.read_text())


def mount_overlay(lower: Path, upper: Path, work: Path, target: Path) -> None:
    for d in (upper, work, target):
        d.mkdir(parents=True, exist_ok=True)
    run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={upper},workdir={work}",
         str(target)])


def unmount_all_under(directory: Path) -> None:
    for point in mounted_under(directory):
        run(["umount", point], hint=f"is something still using {point}? (fuser -vm {point})")
