"""The fastpath report: per-host JSON into a Prometheus textfile per host and one HTML page per run.

Runs on the controller. The `report` role gathers each host's NIC, IRQ and CPU state with the
host-model modules, writes `hosts/<host>.json` into a run directory, then runs
`python -m fastpath.report render <run dir>` which writes `hosts/<host>.prom` and `index.html`.
"""
