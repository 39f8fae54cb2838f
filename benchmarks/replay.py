"""Replay selection policies over every corpus task's stored predictions (issue 13, item 8).

Each task is held out with its family: its candidates are those the
default learner recommends without it (``benchmarks/replay_data.py``
stored their 5-fold predictions), and the prior comes from the other
tasks. A policy sees the labels of a random stratified half of the rows
and is scored on the other half, averaged over ``--halves`` halves.

The rule that picks ``fit``'s policy was fixed before the first replay and
looks at the development half of the tasks only (``choose_policy``):
among policies with at most 3% of tasks losing more than 0.02 AUC to LR,
the highest mean gain over LR, near-ties going to the more cautious one.
The test half is reported, never used.

Usage: python benchmarks/replay.py --db artifacts/replay.sqlite [--halves 20] [--markdown]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from metamed import corpus
from metamed.automl.estimator import load_metadata
from metamed.automl.loto import task_halves
from metamed.automl.policy import WEIGHTINGS, LeaveLRPolicy
from metamed.automl.replay import (
    PROPOSALS,
    ReplayTask,
    choose_policy,
    replay_task,
    summarize_replay,
)
from metamed.evaluation import plan_cv
from metamed.knowledge import open_storage
from metamed.knowledge.predictions import oof_predictions
from metamed.knowledge.units import prepared_task
from metamed.learners import make_learner
from metamed.space import config_hash, named_config

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99)
STRENGTHS = (0.0, 1.0, 2.0, 4.0, 8.0)


def policy_grid() -> dict[str, tuple[str, LeaveLRPolicy]]:
    """Every (proposal, threshold, prior strength, weighting) the replay compares."""
    return {f"{kind} P>={t:g} k={k:g} {w}": (kind, LeaveLRPolicy(t, k, w))
            for kind, t, k, w in itertools.product(PROPOSALS, THRESHOLDS, STRENGTHS, WEIGHTINGS)}


def load_replay_task(storage, metadata, task_id: str) -> ReplayTask | None:
    """The task's stored candidates, or None when its predictions are not all there yet."""
    task = prepared_task(corpus.load_task, task_id)
    oof = oof_predictions(storage.predictions(task_id), task, n_splits=5, seed=0)
    plan = plan_cv(task, n_splits=5, n_repeats=1, seed=0)
    folds = np.empty(task.n_rows, dtype=int)
    for split in plan.splits:
        folds[split.test] = split.fold
    visible = metadata.without(task_id)
    vector = metadata.metafeatures[metadata.task_ids.index(task_id)]
    single = make_learner("single_best").fit(visible).recommend(vector, 1)[0].config_hash
    baseline = config_hash(named_config("logreg"))
    if baseline not in oof or single not in oof or len(oof) < 2:
        return None
    return ReplayTask(task_id, task.codes, folds, oof, baseline, single)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="artifacts/replay.sqlite")
    parser.add_argument("--halves", type=int, default=20)
    parser.add_argument("--out", default="artifacts/replay_rows.csv")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    metadata = load_metadata(None)
    storage = open_storage(args.db, read_only=True)
    policies = policy_grid()
    frames = []
    for task_id in storage.tasks().index:
        data = load_replay_task(storage, metadata, task_id)
        if data is None:
            continue
        vector = metadata.metafeatures[metadata.task_ids.index(task_id)]
        frames.append(replay_task(data, metadata.without(task_id), vector, policies,
                                  halves=args.halves))
    rows = pd.concat(frames, ignore_index=True)
    rows.to_csv(args.out, index=False)
    development, test = task_halves(metadata)
    dev_summary = summarize_replay(rows[rows["task"].isin(development)])
    chosen = choose_policy(dev_summary, policies)
    shown = ["always LR", "single best", "ungated ensemble", "ungated CV-best", "oracle", chosen]
    for title, half in (("development", development), ("test", test)):
        if not rows["task"].isin(half).any():
            continue
        summary = summarize_replay(rows[rows["task"].isin(half)])
        table = summary.loc[[p for p in shown if p in summary.index]].round(4)
        print(f"\n{title} half: {int(table['tasks'].max())} tasks, {args.halves} halves each")
        print(table.to_markdown() if args.markdown else table.to_string())
    print(f"\nchosen on the development half: {chosen}")
    top = dev_summary.drop(index=[p for p in shown[:5] if p in dev_summary.index]).head(10)
    print("\nten best policies on the development half:")
    print(top.round(4).to_markdown() if args.markdown else top.round(4).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
