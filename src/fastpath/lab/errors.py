"""The one error type the lab raises: a message for the operator and the exit code that goes with it."""

from __future__ import annotations

# Exit codes, one per kind of failure, so scripts can tell them apart.
EXIT_USAGE = 2  # bad input: a size out of range, a missing image, an unknown instance
EXIT_BUILD = 3  # the image could not be built
EXIT_BOOT = 4  # a host did not come up (nspawn died or sshd never answered)
EXIT_SYSTEM = 5  # a system command failed (ip, mount, ...)
EXIT_BUSY = 6  # another fastpath lab command holds the lock


class LabError(Exception):
    """A failure the operator can act on; the CLI prints the message, never a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_SYSTEM):
        super().__init__(message)
        self.exit_code = exit_code
