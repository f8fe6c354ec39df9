"""Run system commands with argument lists and turn their failures into LabErrors."""

from __future__ import annotations

import os
import subprocess

from .errors import EXIT_SYSTEM, LabError

# Commands read in Python are parsed in the C locale so their wording never changes under us.
_ENV_C = {**os.environ, "LANG": "C", "LC_ALL": "C"}


def run(argv: list[str], *, check: bool = True, timeout: float = 120, env: dict | None = None,
        exit_code: int = EXIT_SYSTEM, hint: str = "") -> subprocess.CompletedProcess:
    """Run argv, capture its output; on failure raise a LabError quoting the command and its stderr."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env={**_ENV_C, **(env or {})}, check=False)
    except FileNotFoundError as exc:
        raise LabError(f"{argv[0]}: command not found ({exc.strerror}); run `make setup`", exit_code) from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s", exit_code) from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        message = f"`{' '.join(argv)}` failed (exit {proc.returncode}): " + " | ".join(detail)
        raise LabError(message + (f"; {hint}" if hint else ""), exit_code)
    return proc
