"""What the ``*_fit.py`` benchmarks share: their command line, the timed fit, the table.

Imported by the scripts beside it (``python benchmarks/regression_fit.py``
puts this folder on the path), so each script keeps only its data and the
measures that belong to its task type.
"""

from __future__ import annotations

import argparse
import time


def timed_fit(description: str, estimator_class, X, y) -> tuple[object, float, float]:
    """Parse ``--kb`` and ``--budget`` (default 60 s), fit, and time it: model, budget, s."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--kb", default=None)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    started = time.perf_counter()
    model = estimator_class(kb=args.kb, time_budget=args.budget).fit(X, y)
    return model, args.budget, time.perf_counter() - started


def interval(value, signed: bool = False) -> str:
    """An :class:`~metamed.evaluation.intervals.Interval` as ``0.706 (0.690 to 0.720)``."""
    form = "{:+.3f}" if signed else "{:.3f}"
    return f"{form.format(value.estimate)} ({form.format(value.low)} to " \
           f"{form.format(value.high)})"


def print_table(rows: list[tuple[str, str]]) -> None:
    """The measures as a two-column markdown table (for docs/benchmarks.md)."""
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def final_model(model) -> str:
    """The final model's members and weights, as fit prints them."""
    return ", ".join(f"{name} {weight:.0%}" for name, weight in model.ensemble_)
