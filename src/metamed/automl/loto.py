"""Leave-one-task-out meta-evaluation of meta-learners.

For every task of the knowledge base, each learner is fitted on the KB
*without that task and its family* and then judged on the held-out task:

* ``zero_shot`` — the learner's first recommendation, scored by the KB's
  own cross-validated ROC AUC of that config on the held-out task (which
  the learner never saw). Cheap: no model is fitted.
* ``search`` — the full procedure (recommend, budgeted search, ensemble)
  run inside an outer CV on the held-out task (nested), scored on the
  outer test folds. This is what ``metamed fit`` does for a user.

Scores are also normalised per task against the portfolio stored in the
KB: 0 = the worst config on that task, 1 = the best one (the oracle).
A regression KB is evaluated the same way in R², against the tuned ridge,
and its search rows add the 90% prediction intervals' coverage and width.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from metamed.automl.conformal import DEFAULT_LEVEL, LEVELS, coverage
from metamed.automl.policy import LeaveLRPolicy
from metamed.automl.selection import nested_oof, refit_oof
from metamed.data.task import Task
from metamed.evaluation.scoring import Scorer
from metamed.kinds import META_KINDS
from metamed.knowledge.metadata import MetaData
from metamed.learners import N_CANDIDATES, MetaLearner, make_learner
from metamed.space import named_config

#: Two ROC AUCs (or R²) closer than this count as a tie in wins / ties / losses.
TIE = 0.005
#: The rows every learner is compared with: plain LR, the tuned ridge for regression, the
#: Cox model, SVR on ECFP4 for molecules.
REFERENCES = tuple(kind.baseline for kind in META_KINDS.values())
#: Search mode only, and not a meta-learner: it peeks at the held-out task's KB scores
#: and refits that task's best config on the outer folds. Its normalised score shows
#: how far below 1 fresh CV noise alone puts even a perfect single-config choice.
ORACLE = "oracle"


def task_halves(metadata: MetaData) -> tuple[list[str], list[str]]:
    """The development and test halves of the KB's tasks, alternating in size order.

    The development half is where settings and thresholds may be chosen;
    the test half only reports. They are the tasks of ``bench loto --stride 2
    --offset 1`` and ``--stride 2``.
    """
    order = [metadata.task_ids[i] for i in size_order(metadata)]
    return order[1::2], order[0::2]


def size_order(metadata: MetaData) -> np.ndarray:
    """Task positions from the fewest rows to the most (the stored log rows)."""
    return np.argsort(metadata.metafeatures[:, 0])


def loto_zero_shot(metadata: MetaData, learners: list[str]) -> pd.DataFrame:
    """One row per (held-out task, learner): the top recommendation's KB score."""
    rows = []
    for t, task_id in enumerate(metadata.task_ids):
        visible = metadata.without(task_id)
        for name in learners:
            started = time.perf_counter()
            learner = make_learner(name).fit(visible)
            top = learner.recommend(metadata.metafeatures[t], 1)[0]
            score = metadata.scores[t, metadata.config_hashes.index(top.config_hash)]
            rows.append(_row(metadata, t, name, score, time.perf_counter() - started,
                             metadata.task_type))
    return pd.DataFrame(rows)


def loto_search(metadata: MetaData, learners: list[str], load: Callable[[str], Task],
                budget: float, task_ids: list[str], outer_splits: int = 3, seed: int = 0,
                jobs: int = 1, n_candidates: int = N_CANDIDATES,
                n_repeats: int = 1, policy: LeaveLRPolicy | None = None
                ) -> Iterator[list[dict]]:
    """Per held-out task, as each finishes: one row per learner, the outer-CV ROC AUC.

    Tasks run in ``jobs`` processes; rows are yielded as soon as a task is
    done, so a caller can save them and a stopped run loses at most the
    ``jobs`` tasks in progress. Each row records its budget.
    ``n_candidates``, ``n_repeats`` and ``policy`` (None: the task type's
    default) are the search's settings (see
    :func:`metamed.automl.selection.select_model`); the baseline (plain LR,
    or the tuned ridge) is always one candidate, once.
    """
    run = delayed(_search_one_task)
    search = {"n_candidates": n_candidates, "n_repeats": n_repeats, "policy": policy}
    yield from Parallel(n_jobs=jobs, return_as="generator_unordered")(
        run(metadata, learners, load, budget, task_id, outer_splits, seed, search)
        for task_id in task_ids
    )


def procedure_label(learner: str, n_candidates: int = N_CANDIDATES, n_repeats: int = 1,
                    policy: LeaveLRPolicy | None = None) -> str:
    """A row's learner name, which names the search settings when they are not the default."""
    if learner in (*REFERENCES, ORACLE):
        return learner
    if policy is not None:
        learner = f"{learner} (P>={policy.threshold:g} k={policy.prior_strength:g} " \
                  f"{policy.weighting})"
    if (n_candidates, n_repeats) == (N_CANDIDATES, 1):
        return learner
    return f"{learner} ({n_candidates} candidates, {n_repeats} repeats)"


def _search_one_task(metadata: MetaData, learners: list[str], load: Callable[[str], Task],
                     budget: float, task_id: str, outer_splits: int, seed: int,
                     search: dict) -> list[dict]:
    t = metadata.task_ids.index(task_id)
    task = load(task_id)
    visible = metadata.without(task_id)
    rows = []
    for name in learners:
        started = time.perf_counter()
        extra: dict = {}
        if name == ORACLE:
            best = metadata.configs[int(np.nanargmax(metadata.scores[t]))]
            oof = refit_oof(task, best, outer_splits, seed)
        elif name in REFERENCES:  # never recalibrated: the reference every row beats
            oof = refit_oof(task, named_config(name), outer_splits, seed)
        else:
            learner: MetaLearner = make_learner(name).fit(visible)
            nested = nested_oof(task, learner, budget, outer_splits=outer_splits, seed=seed,
                                **search)
            oof, extra = nested.predictions, _coverage(task, nested.bounds)
        score = Scorer.for_task(task).primary_score(task.target_values, oof)
        row = _row(metadata, t, procedure_label(name, **search), score,
                   time.perf_counter() - started, task.task_type)
        rows.append({**row, "budget": budget, "calibration_slope": _slope(task, oof), **extra})
    return rows


def _coverage(task: Task, bounds: np.ndarray | None) -> dict:
    """A regression's 90% intervals in the outer folds: coverage and median width."""
    if bounds is None:
        return {}
    found = coverage(task.target_values, bounds[:, :, LEVELS.index(DEFAULT_LEVEL)])
    return {"coverage_90": found["coverage"], "width_90": found["median_width"]}


def _slope(task: Task, oof: np.ndarray) -> float:
    """Calibration slope of the outer-CV predictions (binary and regression; NaN otherwise)."""
    return Scorer.for_task(task).slope(task.target_values, oof)


def _row(metadata: MetaData, t: int, learner: str, score: float, seconds: float,
         task_type: str) -> dict:
    known = metadata.scores[t][~np.isnan(metadata.scores[t])]
    low, high = known.min(), known.max()
    normalized = (score - low) / (high - low) if high > low else 1.0
    metric = Scorer(task_type).primary
    return {"task": metadata.task_ids[t], "learner": learner, metric: float(score),
            "normalized": float(normalized), f"oracle_{metric}": float(high),
            "seconds": seconds}


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per learner: mean ROC AUC (R²), mean rank, mean normalised score, W/T/L vs the
    baseline (plain LR, tuned ridge, Cox, SVR on ECFP4: the one the rows hold), time; for
    regression searches the intervals' coverage.

    Ranks are among the learners only: the oracle reference gets none.
    """
    learners = set(rows["learner"])
    kind = next((k for k in META_KINDS.values() if k.primary in rows and k.baseline in learners),
                None) or next(k for k in META_KINDS.values() if k.primary in rows)
    metric, baseline = kind.primary, kind.baseline
    wide = rows.pivot(index="task", columns="learner", values=metric)
    ranks = wide.drop(columns=ORACLE, errors="ignore").rank(axis=1, ascending=False,
                                                            method="average")
    table = pd.DataFrame({
        f"mean_{metric}": wide.mean(),
        "mean_rank": ranks.mean(),
        "mean_normalized": rows.groupby("learner")["normalized"].mean(),
        "seconds_per_task": rows.groupby("learner")["seconds"].mean(),
        "tasks": wide.count(),
    })
    if "calibration_slope" in rows:
        table["median_slope"] = rows.groupby("learner")["calibration_slope"].median()
    if "coverage_90" in rows:
        table["mean_coverage_90"] = rows.groupby("learner")["coverage_90"].mean()
        table["median_width_90"] = rows.groupby("learner")["width_90"].median()
    if baseline in wide:
        delta = wide.sub(wide[baseline], axis=0)
        table["wins"] = (delta > TIE).sum()
        table["ties"] = (delta.abs() <= TIE).sum()
        table["losses"] = (delta < -TIE).sum()
    return table.sort_values("mean_rank", na_position="last")
