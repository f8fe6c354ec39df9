"""A stand-in for the commands a restore runs (systemctl, userdel, apt, update-grub, fastpath-xdp),
over a fake root: a unit exists while its file is under ROOT/etc/systemd/system (a template
instance while its template's is), as systemd would see it after a reload; accounts live in
ROOT/etc/passwd and ROOT/etc/group. Every command is logged in order, so tests can check what ran
and in which order."""

from __future__ import annotations

import os
from pathlib import Path


class FakeSystem:
    def __init__(self, root: Path, installed: set[str] | None = None,
                 apt_would_remove: list[str] | None = None):
        self.root = root
        self.log: list[list[str]] = []
        self.enabled: set[str] = set()
        self.active: set[str] = set()
        self.failed: set[str] = set()
        self.installed = set(installed or ())
        self.apt_would_remove = apt_would_remove  # None: exactly what is asked
        self.fail_after: int | None = None  # raise after this many commands: a restore killed

    def unit_file(self, name: str) -> Path:
        base = name if "@" not in name else name.split("@", 1)[0] + "@." + name.rsplit(".", 1)[1]
        return self.root / "etc/systemd/system" / base

    def present(self, name: str) -> bool:
        return self.unit_file(name).exists() or name.endswith(".slice") and name in self.active

    def __call__(self, argv: list[str]) -> tuple[int, str, str]:
        if self.fail_after is not None and len(self.log) >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.log.append(list(argv))
        if argv[0] == "env":
            argv = argv[2:]
        tool, args = os.path.basename(argv[0]), argv[1:]
        return getattr(self, "_" + tool.replace("-", "_"))(args)

    def _systemctl(self, args):
        verb, name = args[0], args[-1]
        if verb == "show":
            return 0, ("loaded" if self.present(name) else "not-found") + "\n", ""
        if verb == "is-enabled":
            return (0, "enabled\n", "") if name in self.enabled else (1, "disabled\n", "")
        if verb == "is-active":
            return (0, "", "") if name in self.active else (3, "", "")
        if verb == "is-failed":
            return (0, "", "") if name in self.failed else (1, "", "")
        if verb == "daemon-reload":
            return 0, "", ""
        if not self.present(name):
            return 1, "", f"Failed to {verb} unit: Unit file {name} does not exist."
        {"start": self.active.add, "stop": self.active.discard, "enable": self.enabled.add,
         "disable": self.enabled.discard, "reset-failed": self.failed.discard,
         "restart": self.active.add}[verb](name)
        return 0, "", ""

    def _accounts(self, kind: str, name: str):
        path = self.root / "etc" / kind
        lines = [line for line in path.read_text().splitlines() if line.split(":")[0] != name]
        path.write_text("".join(line + "\n" for line in lines))
        return 0, "", ""

    def _userdel(self, args):
        # As Debian's userdel (USERGROUPS_ENAB): the user's own group goes with it.
        self._accounts("group", args[-1])
        return self._accounts("passwd", args[-1])

    def _groupdel(self, args):
        return self._accounts("group", args[-1])

    def _dpkg_query(self, args):
        names = args[2:]
        return (0 if set(names) <= self.installed else 1,
                "".join(f"{n} installed\n" for n in names if n in self.installed), "")

    def _apt_get(self, args):
        names = [a for a in args if not a.startswith("-") and a not in ("purge", "install")]
        if "-s" in args:
            removed = self.apt_would_remove if self.apt_would_remove is not None else names
            return 0, "".join(f"Purg {n} [1.0]\n" for n in removed), ""
        self.installed -= set(names)
        return 0, "", ""

    def _update_grub(self, _args):
        return 0, "", ""

    def _fastpath_xdp(self, args):
        pins = self.root / args[args.index("--pin-root") + 1].lstrip("/") / args[1]
        for pin in pins.iterdir():
            pin.unlink()
        pins.rmdir()
        return 0, "", ""

    def ran(self, *words: str) -> list[list[str]]:
        """The logged commands that contain all of `words`."""
        return [argv for argv in self.log if all(w in argv for w in words)]
