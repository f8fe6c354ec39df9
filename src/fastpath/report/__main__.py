"""Entry point for `python -m fastpath.report`, which the report role runs on the controller."""

import sys

from fastpath.report.cli import main

sys.exit(main())
