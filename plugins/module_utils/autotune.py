# SPDX-License-Identifier: Apache-2.0
"""Autotune's pure logic: the sweep order, when to stop, and which trial is best.

The sweep is coordinate descent: the baseline (the host's current settings) is measured first, then
each knob in turn is set to each of its candidate values while every other knob stays at the best
found so far. A trial is one smoke test run; it is judged by the smoke result document
(schema fastpath.smoke/1): gates passed, replies/s, loss and p99 RTT.

A trial beats the best only by more than the noise margin (`min_gain_pct`): on a noisy host, a
difference smaller than that is not a gain. The sweep stops when `patience` trials in a row brought
no gain (gains flattened), when the next trial would not fit in the time budget, or when every
step has been tried.
"""

from __future__ import annotations

# Loss differences at or below this many percentage points are noise (a handful of packets).
LOSS_NOISE_PCT = 0.1


class AutotuneInputError(ValueError):
    """Input the sweep cannot work with; the message names the value."""


def score(result: dict | None) -> dict:
    """What the judge compares, from one smoke result: passed, replies/s, loss %, p99 us."""
    if not isinstance(result, dict):
        raise AutotuneInputError(f"a trial's smoke result is not a mapping: {result!r:.100}")
    load = result.get("load") or {}
    if result.get("error") or not load:
        return {"passed": False, "rate": 0.0, "loss": 100.0, "p99": None,
                "error": str(result.get("error") or "no load figures in the result")}
    p99 = load.get("p99_us")
    return {"passed": bool(result.get("passed")), "rate": float(load.get("received_pps") or 0.0),
            "loss": float(load.get("loss_pct") if load.get("loss_pct") is not None else 100.0),
            "p99": float(p99) if p99 is not None else None, "error": ""}


def _pct_gain(new: float, old: float) -> float:
    if old == 0:
        return 0.0 if new == 0 else float("inf")
    return (new - old) / old * 100.0


def better(a: dict, b: dict, min_gain_pct: float) -> bool:
    """Whether score `a` beats score `b` by more than the noise: passing beats failing; then more
    replies/s; at the same rate (within the margin) less loss; then a lower p99."""
    if a["passed"] != b["passed"]:
        return a["passed"]
    rate_gain = _pct_gain(a["rate"], b["rate"])
    if abs(rate_gain) > min_gain_pct:
        return rate_gain > 0
    if abs(a["loss"] - b["loss"]) > LOSS_NOISE_PCT:
        return a["loss"] < b["loss"]
    if a["p99"] is None or b["p99"] is None:
        return False
    return _pct_gain(b["p99"], a["p99"]) > min_gain_pct  # b's p99 is that much above a's


def steps(candidates: dict[str, list]) -> list[tuple[str, object]]:
    """The sweep's steps in order: each knob (in the order given) with each of its values."""
    if not isinstance(candidates, dict) or not candidates:
        raise AutotuneInputError(f"the candidates must map each knob to a list of values, got {candidates!r}")
    out = []
    for knob, values in candidates.items():
        if not isinstance(values, list) or not values:
            raise AutotuneInputError(f"knob {knob}: candidate values must be a non-empty list, "
                                     f"got {values!r}")
        out += [(knob, value) for value in values]
    return out


def running_best(trials: list[dict], min_gain_pct: float) -> int:
    """Index of the best trial, walking in order: a trial replaces the best only by beating it by more
    than the noise, so it is also the last trial that brought a gain."""
    if not trials:
        raise AutotuneInputError("no trials yet")
    best = 0
    best_score = score(trials[0]["result"])
    for index, trial in enumerate(trials[1:], start=1):
        candidate = score(trial["result"])
        if better(candidate, best_score, min_gain_pct):
            best, best_score = index, candidate
    return best


def next_trial(trials: list[dict], candidates: dict[str, list], baseline: dict, *, elapsed_s: float,
               budget_s: float, patience: int, min_gain_pct: float, max_trials: int) -> dict:
    """What to do next: {"stop": "" , "config", "step", "knob"} to run a trial, or {"stop": reason}.

    `trials` are the trials so far, in order: {"config", "step", "result", "seconds"}. The next one
    must fit in what is left of the budget, taking the longest trial so far as its likely length."""
    if patience < 1 or max_trials < 1 or budget_s <= 0 or min_gain_pct < 0:
        raise AutotuneInputError(f"patience={patience} and max_trials={max_trials} must be >= 1, "
                                 f"budget_s={budget_s} > 0, min_gain_pct={min_gain_pct} >= 0")
    missing = [knob for knob in candidates if knob not in baseline]
    if missing:
        raise AutotuneInputError(f"the baseline has no value for {', '.join(missing)}")
    plan = steps(candidates)
    if not trials:
        return {"stop": "", "config": dict(baseline), "step": -1, "knob": "baseline"}
    if len(trials) >= max_trials:
        return {"stop": f"tried {len(trials)} settings, the most allowed (max_trials)"}
    longest = max(float(t.get("seconds") or 0) for t in trials)
    if elapsed_s + longest > budget_s:
        return {"stop": f"time budget: {elapsed_s:.0f} s used of {budget_s:.0f} s and a trial takes "
                        f"up to {longest:.0f} s"}
    best = running_best(trials, min_gain_pct)
    if len(trials) - 1 - best >= patience:
        return {"stop": f"gains flattened: {len(trials) - 1 - best} trials in a row were not "
                        f"better than the best by more than {min_gain_pct:g}%"}
    tried = [t["config"] for t in trials]
    for index in range(trials[-1]["step"] + 1, len(plan)):
        knob, value = plan[index]
        config = {**trials[best]["config"], knob: value}
        if config not in tried:
            return {"stop": "", "config": config, "step": index, "knob": knob}
    return {"stop": "every candidate value was tried"}


def best_trial(trials: list[dict], min_gain_pct: float) -> dict:
    """The trial to keep: the baseline unless a later one beat it by more than the noise."""
    return trials[running_best(trials, min_gain_pct)]


def table(trials: list[dict], knobs: list[str], min_gain_pct: float) -> str:
    """One line per trial: its settings, the judge's numbers, and which one is kept."""
    best = running_best(trials, min_gain_pct) if trials else -1
    head = ["#", "changed", *knobs, "result", "replies/s", "loss %", "p99 us", "s", ""]
    rows = [head]
    for index, trial in enumerate(trials):
        s = score(trial["result"])
        verdict = "ERROR" if s["error"] else "pass" if s["passed"] else "FAIL"
        settings = [str(trial["config"].get(k, "")) for k in knobs]
        p99 = "-" if s["p99"] is None else f"{s['p99']:.0f}"
        rows.append([str(index + 1), trial.get("knob", ""), *settings, verdict, f"{s['rate']:.1f}",
                     f"{s['loss']:.2f}", p99, f"{float(trial.get('seconds') or 0):.0f}",
                     "<- best" if index == best else ""])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "\n".join(lines)
