# SPDX-License-Identifier: Apache-2.0
"""The one error the report raises for bad input; the action says it in one line, never a traceback."""


class ReportError(Exception):
    """A run directory or host document that cannot be rendered; the message says which and why."""
