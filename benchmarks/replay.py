"""Replay selection policies over every corpus task's stored predictions (issues 13 and 14).

Each task is held out with its family: its candidates are those the
default learner recommends without it, plus the single best config and
the baseline (plain LR, or the tuned ridge), read from the 5-fold
out-of-fold predictions the knowledge base stores for every (task,
config); the prior comes from the other tasks. Nothing is refitted: the
whole replay takes minutes. A policy sees the labels of a random
stratified half of the rows and is scored on the other half, averaged
over ``--halves`` halves.

The rule that picks ``fit``'s policy was fixed before the first replay and
looks at the development half of the tasks only (``choose_policy``):
among policies with at most 3% of tasks losing more than 0.02 (ROC AUC,
or R² for ``--task regression``) to the baseline (plain LR, the tuned
ridge), the highest mean gain over it, near-ties going to the more
cautious one. The test half is reported, never used.

With ``--recalibrate P`` every policy's final blend is recalibrated as
``fit`` does at level P (fitted on the seen rows); ``--policy NAME``
replays that one policy of the grid (with the references), which is how
recalibration levels are compared: the grid's slow part is then one policy.

Usage: python benchmarks/replay.py [--db KB] [--task regression] [--halves 20] [--markdown]
                                   [--policy NAME] [--recalibrate P]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from metamed import corpus
from metamed.automl.loto import task_halves
from metamed.automl.policy import WEIGHTINGS, LeaveLRPolicy
from metamed.automl.procedure import load_metadata
from metamed.automl.replay import (
    PROPOSALS,
    REFERENCES,
    ReplayTask,
    choose_policy,
    replay_task,
    summarize_replay,
)
from metamed.evaluation import plan_cv
from metamed.evaluation.scoring import Scorer
from metamed.kinds import META_KINDS
from metamed.knowledge import open_storage
from metamed.knowledge.predictions import oof_predictions
from metamed.knowledge.units import prepared_task
from metamed.learners import DEFAULT_LEARNER, N_CANDIDATES, make_learner
from metamed.space import config_hash, named_config

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99)
STRENGTHS = (0.0, 1.0, 2.0, 4.0, 8.0)


def policy_grid() -> dict[str, tuple[str, LeaveLRPolicy]]:
    """Every (proposal, threshold, prior strength, weighting) the replay compares."""
    return {f"{kind} P>={t:g} k={k:g} {w}": (kind, LeaveLRPolicy(t, k, w))
            for kind, t, k, w in itertools.product(PROPOSALS, THRESHOLDS, STRENGTHS, WEIGHTINGS)}


def candidate_configs(metadata, task_id: str, baseline: str) -> tuple[list[str], str]:
    """Hashes of what the search would try on ``task_id`` (recommendations, the single best,
    the baseline), learned without the task and its family; and the single best's hash."""
    visible = metadata.without(task_id)
    vector = metadata.metafeatures[metadata.task_ids.index(task_id)]
    found = [r.config for r in make_learner(DEFAULT_LEARNER).fit(visible).recommend(
        vector, N_CANDIDATES)]
    single = make_learner("single_best").fit(visible).recommend(vector, 1)[0].config
    hashes = [config_hash(c) for c in [*found, single]] + [baseline]
    return list(dict.fromkeys(hashes)), config_hash(single)


def load_replay_task(storage, metadata, task_id: str) -> ReplayTask | None:
    """The task's candidates' stored predictions, or None when some are missing."""
    task = prepared_task(corpus.load_task, task_id)
    stored = oof_predictions(storage.predictions(task_id), task, n_splits=5, seed=0)
    baseline = config_hash(named_config(task.kind.baseline))
    wanted, single = candidate_configs(metadata, task_id, baseline)
    if not set(wanted) <= set(stored):
        return None
    plan = plan_cv(task, n_splits=5, n_repeats=1, seed=0)
    folds = np.empty(task.n_rows, dtype=int)
    for split in plan.splits:
        folds[split.test] = split.fold
    return ReplayTask(task_id, task.target_values, folds, {h: stored[h] for h in wanted},
                      baseline, single, Scorer.for_task(task))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="a KB with 5-fold predictions "
                        "(default: the shipped one)")
    parser.add_argument("--task", choices=list(META_KINDS), default="classification")
    parser.add_argument("--halves", type=int, default=20)
    parser.add_argument("--out", default="artifacts/replay_rows.csv")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--policy", default=None, help="replay only this policy of the grid")
    parser.add_argument("--recalibrate", type=float, default=None, metavar="P",
                        help="recalibrate each policy's blend as fit does, at level P")
    args = parser.parse_args()
    started = time.perf_counter()
    metadata = load_metadata(args.db, args.task)
    storage = open_storage(args.db, read_only=True)
    policies = policy_grid()
    if args.policy is not None:
        if args.policy not in policies:
            parser.error(f"no policy {args.policy!r} in the grid (e.g. "
                         f"'ensemble P>=0.5 k=0 half').")
        policies = {args.policy: policies[args.policy]}
    frames = []
    skipped = []
    for task_id in metadata.task_ids:
        data = load_replay_task(storage, metadata, task_id)
        if data is None:
            skipped.append(task_id)
            continue
        vector = metadata.metafeatures[metadata.task_ids.index(task_id)]
        frames.append(replay_task(data, metadata.without(task_id), vector, policies,
                                  halves=args.halves, recalibration_p=args.recalibrate))
    rows = pd.concat(frames, ignore_index=True)
    rows.to_csv(args.out, index=False)
    development, test = task_halves(metadata)
    dev_summary = summarize_replay(rows[rows["task"].isin(development)])
    chosen = choose_policy(dev_summary, policies)
    shown = [*REFERENCES, chosen]
    for title, half in (("development", development), ("test", test)):
        if not rows["task"].isin(half).any():
            continue
        summary = summarize_replay(rows[rows["task"].isin(half)])
        table = summary.loc[[p for p in shown if p in summary.index]].round(4)
        print(f"\n{title} half: {int(table['tasks'].max())} tasks, {args.halves} halves each")
        print(table.to_markdown() if args.markdown else table.to_string())
    print(f"\nchosen on the development half: {chosen}")
    top = dev_summary.drop(index=[p for p in REFERENCES if p in dev_summary.index]).head(10)
    print("\nten best policies on the development half:")
    print(top.round(4).to_markdown() if args.markdown else top.round(4).to_string())
    if skipped:
        print(f"\nskipped (predictions missing): {', '.join(skipped)}")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
