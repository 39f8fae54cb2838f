"""Per-task differences from the baseline in a search-mode LOTO rows file, by half of the tasks.

Reads the rows ``metamed bench loto --mode search --out ROWS`` wrote and
prints, for all tasks and for the development and test halves of
``task_halves``: mean score of the procedure and of the baseline, mean
difference with a 95% bootstrap CI over tasks, median, wins / ties (within
0.005) / losses, tasks losing more than 0.02, median calibration slope,
seconds per task and, for a regression, the 90% intervals' coverage.

Usage: python benchmarks/loto_halves.py ROWS [--kb KB] [--task regression]
       [--learner local] [--baseline ridge_cv]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from metamed.automl.loto import task_halves
from metamed.automl.procedure import load_metadata
from metamed.evaluation.scoring import Scorer
from metamed.kinds import KINDS

TIE, BIG_LOSS, RESAMPLES = 0.005, 0.02, 2000


def half_row(rows: pd.DataFrame, tasks: list[str], learner: str, baseline: str,
             metric: str) -> dict:
    """The procedure against the baseline on ``tasks`` (those both rows have)."""
    scores = rows.pivot(index="task", columns="learner", values=metric)
    delta = (scores[learner] - scores[baseline]).reindex(tasks).dropna()
    mine = rows[(rows["learner"] == learner) & rows["task"].isin(delta.index)]
    means = [delta.sample(len(delta), replace=True, random_state=i).mean()
             for i in range(RESAMPLES)]
    row = {"tasks": len(delta), learner: scores.loc[delta.index, learner].mean(),
           baseline: scores.loc[delta.index, baseline].mean(), "difference": delta.mean(),
           "ci_low": np.percentile(means, 2.5), "ci_high": np.percentile(means, 97.5),
           "median": delta.median(), "wins": int((delta > TIE).sum()),
           "ties": int((delta.abs() <= TIE).sum()), "losses": int((delta < -TIE).sum()),
           "big_losses": int((delta < -BIG_LOSS).sum()),
           "median_slope": mine["calibration_slope"].median(),
           "median_seconds": mine["seconds"].median(), "max_seconds": mine["seconds"].max()}
    if "coverage_90" in mine:
        row |= {"coverage_90": mine["coverage_90"].mean(),
                "coverage_min": mine["coverage_90"].min(),
                "coverage_max": mine["coverage_90"].max()}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows")
    parser.add_argument("--kb", default=None, help="the KB the run held tasks out of")
    parser.add_argument("--task", choices=list(KINDS), default="classification")
    parser.add_argument("--learner", default="local")
    parser.add_argument("--baseline", default=None, help="default: the task type's baseline")
    args = parser.parse_args()
    rows = pd.read_csv(args.rows)
    baseline = args.baseline or KINDS[args.task].baseline
    metric = Scorer(args.task).primary
    development, test = task_halves(load_metadata(args.kb, args.task))
    table = pd.DataFrame({
        name: half_row(rows, tasks, args.learner, baseline, metric)
        for name, tasks in (("all", sorted(set(rows["task"]))), ("development", development),
                            ("test", test))}).T
    print(table.round(4).to_markdown())
    delta = rows.pivot(index="task", columns="learner", values=metric)
    worst = (delta[args.learner] - delta[baseline]).sort_values().head(5)
    print("\nlargest losses:", ", ".join(f"{t} {d:+.3f}" for t, d in worst.items()))


if __name__ == "__main__":
    main()
