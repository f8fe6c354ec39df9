"""The one error the report raises for bad input; the CLI prints it as one line, never a traceback."""


class ReportError(Exception):
    """A run directory or host document that cannot be rendered; the message says which and why."""
