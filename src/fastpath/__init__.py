"""fastpath: controller-side tools (lab fleet, runs, reports, benchmarks)."""

__version__ = "0.1.0"
