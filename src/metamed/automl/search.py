"""Budgeted search on a new task: evaluate the recommended configs, cheaply first.

Successive halving over CV folds: every candidate is scored on the first
rung of folds, the better half continues to the next rung, and so on until
the survivors have full cross-validation. Before every fit the search asks
whether that fit is expected to end within the budget of work (CPU seconds,
:mod:`metamed.clock`; from the candidate's own fold times, or the median of
the others'), so it stops with what it has measured instead of starting a
fit it cannot finish, and a busy machine does not change what it measures.
The plain logistic regression (for a regression, ridge with its penalty
tuned) always competes and is never cut nor stopped by the budget: on small
medical tables it is often the model to beat, every other candidate is
compared with it fold by fold (:mod:`metamed.automl.policy`), and it keeps a
tiny dataset from ending with a degenerate choice. Candidates are ranked by
ROC AUC, or R² for a number.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metamed.clock import WorkClock, work_seconds
from metamed.data.task import Task
from metamed.errors import MetamedError, one_line
from metamed.evaluation import fit_predict_split, plan_cv
from metamed.evaluation.scoring import Scorer
from metamed.kinds import Kind
from metamed.space import config_hash, config_name, named_config, pipeline_for_task

#: Receives a short description of the stage the work is in ("search: pipeline 2/9 ...").
Progress = Callable[[str], None]
#: The plan fills at most this share of the budget with predicted work, so that a machine
#: 1 / PLAN_SHARE times slower than expected (busy, or the cost model off) does the same work.
PLAN_SHARE = 0.4


def silent(stage: str) -> None:
    """The default :data:`Progress`: says nothing."""


@dataclass
class Candidate:
    """A config under evaluation: fold scores, each fold's test probabilities, out-of-fold ones."""

    config: dict
    origin: str
    fold_scores: list[float] = field(default_factory=list)
    fold_predictions: list[np.ndarray] = field(default_factory=list)
    oof: np.ndarray | None = None
    error: str = ""
    cut: bool = False
    seconds: list[float] = field(default_factory=list)
    reference: bool = False

    @property
    def fold_seconds(self) -> float:
        """Mean work (CPU seconds) of one fold, fit and predict, so far; 0 before the first."""
        return float(np.mean(self.seconds)) if self.seconds else 0.0

    @property
    def mean_score(self) -> float:
        return float(np.mean(self.fold_scores)) if self.fold_scores else float("nan")


@dataclass
class SearchResult:
    """Every candidate with what was measured, best first, and the folds it was measured on."""

    candidates: list[Candidate]
    n_splits: int
    seconds: float
    tests: list[np.ndarray] = field(default_factory=list)
    planned_out: int = 0
    metric: str = "roc_auc"

    @property
    def complete(self) -> list[Candidate]:
        """Finalists (never cut by halving) with at least one full CV, best first.

        A finalist still in a later repeat when time ran out counts: its
        first repeat already predicted every row out of fold.
        """
        return [c for c in self.candidates
                if not c.cut and not c.error and len(c.fold_scores) >= self.n_splits]

    def budget_notes(self) -> list[str]:
        """What the time budget cut, in words (nothing when every candidate ran to the end)."""
        notes = []
        if self.planned_out:
            notes.append(f"{self.planned_out} recommended pipelines were left out before the "
                         "search: their predicted time did not fit in the budget.")
        unfinished = [c for c in self.candidates
                      if not c.cut and not c.error and len(c.fold_scores) < self.n_splits]
        if unfinished:
            notes.append(f"the time budget stopped the search before {len(unfinished)} of "
                         f"{len(self.candidates)} pipelines were fully cross-validated; a larger "
                         "--time-budget would let them finish.")
        return notes

    def leaderboard(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"rank": i + 1, "pipeline": config_name(c.config), "config_hash": config_hash(c.config),
             f"cv_{self.metric}": c.mean_score, "folds": len(c.fold_scores), "origin": c.origin,
             "error": c.error}
            for i, c in enumerate(self.candidates)
        ])


def candidate_pool(configs: list[tuple[dict, str]], kind: Kind) -> list[Candidate]:
    """Recommended configs plus the baseline of ``kind`` (the task's), without duplicates."""
    pool, seen = [], set()
    reference = named_config(kind.baseline)
    baseline = config_hash(reference)
    for config, origin in [*configs, (reference, "always included: baseline")]:
        digest = config_hash(config)
        if digest not in seen:
            seen.add(digest)
            pool.append(Candidate(config, origin, reference=digest == baseline))
    return pool


def plan_pool(pool: list[Candidate], seconds: Callable[[Candidate], float], budget: float,
              fits: int, refit_folds: float = 0.0) -> tuple[list[Candidate], int]:
    """Candidates, in recommendation order, whose predicted full CV fits in the plan's share.

    ``seconds`` predicts one fold of a candidate; the baseline is always
    kept. ``refit_folds`` folds' worth of the costliest kept candidate are
    held for refitting the chosen model beyond its plain refit (a
    regression's CV+ intervals refit it once per conformal fold, which
    ``REFIT_SHARE`` alone does not cover). Returns the kept candidates and
    how many were left out. The plan depends on the table and the budget
    only, never on the clock.
    """
    kept, used, costliest = [], 0.0, 0.0
    for candidate in pool:
        fold = seconds(candidate)
        refit = max(costliest, fold) * refit_folds
        if candidate.reference or used + fold * fits + refit <= budget * PLAN_SHARE:
            kept.append(candidate)
            used += fold * fits
            costliest = max(costliest, fold)
    return kept, len(pool) - len(kept)


def successive_halving(task: Task, candidates: list[Candidate], budget: float, *,
                       n_splits: int = 5, n_repeats: int = 1, seed: int = 0,
                       clock: WorkClock | None = None,
                       progress: Progress = silent) -> SearchResult:
    """Score candidates on growing sets of folds, halving the field at each rung.

    ``budget`` is seconds of work from now on ``clock`` (by default a new
    one), whose wall-clock cap also stops every candidate but the baseline.

    With ``n_repeats`` > 1 the field is cut after one full CV repeat and the
    survivors are scored on the other repeats: on small data a fold's score
    is noisy, and repeating the CV is how spare budget buys a steadier choice.
    A candidate's out-of-fold predictions are those of its last repeat.
    """
    if n_repeats < 1:
        raise MetamedError(f"n_repeats must be at least 1, got {n_repeats}.")
    clock = clock or WorkClock(budget)
    started = clock.used()
    plan = plan_cv(task, n_splits=n_splits, n_repeats=n_repeats, seed=seed)
    scorer = Scorer.for_task(task)
    for c in candidates:
        c.oof = np.full((task.n_rows, task.n_outputs), np.nan)
    alive = list(candidates)
    n_fits = len(plan.splits)
    rungs = _rungs(plan.n_splits, n_repeats)
    for rung, rung_end in enumerate(rungs, 1):
        for k, candidate in enumerate(alive, 1):
            progress(f"search: pipeline {k}/{len(alive)} of round {rung}/{len(rungs)}")
            for split in plan.splits[len(candidate.fold_scores):rung_end]:
                if candidate.error or _out_of_budget(candidate, candidates, clock,
                                                     started + budget):
                    break
                _score_fold(candidate, task, split, scorer)
        _catch_up_baseline(alive, task, plan.splits[:rung_end], scorer)
        alive = [c for c in alive if not c.error and len(c.fold_scores) == rung_end]
        alive.sort(key=lambda c: -c.mean_score)
        if rung_end < n_fits:
            keep = max(1, int(np.ceil(len(alive) / 2)))
            for candidate in alive[keep:]:
                candidate.cut = not candidate.reference
            alive = alive[:keep] + [c for c in alive[keep:] if c.reference]
    ranked = sorted(candidates, key=lambda c: _standing(c, plan.n_splits))
    return SearchResult(ranked, plan.n_splits, clock.used() - started,
                        [split.test for split in plan.splits], metric=scorer.primary)


def _catch_up_baseline(alive: list[Candidate], task: Task, splits: list, scorer: Scorer) -> None:
    """Score the baseline on every fold another candidate finished, whatever the budget.

    A candidate may replace the baseline only by the decision rule, which
    compares them fold by fold; so once any other candidate has a fold the
    baseline lacks, the baseline gets it too. When the budget stopped every
    other candidate first, nothing competes and the baseline needs no
    folds: the search keeps it (a very wide table on a short budget).
    """
    baseline = next((c for c in alive if c.reference), None)
    if baseline is None:
        return
    needed = max((len(c.fold_scores) for c in alive if not c.reference and not c.error),
                 default=0)
    for split in splits[len(baseline.fold_scores):needed]:
        if baseline.error:
            return
        _score_fold(baseline, task, split, scorer)


def _out_of_budget(candidate: Candidate, candidates: list[Candidate], clock: WorkClock,
                   limit: float) -> bool:
    """Whether the candidate's next fold would end past ``limit`` (work seconds on ``clock``)
    or the wall-clock cap has fired (the baseline is caught up afterwards, if needed)."""
    expected = candidate.fold_seconds or _typical_fold(candidates)
    return clock.used() + expected > limit or clock.over_cap()


def _standing(candidate: Candidate, n_splits: int) -> tuple:
    """Sort key: fully cross-validated candidates by mean score, then the rest by folds done."""
    folds = min(len(candidate.fold_scores), n_splits)
    return (folds < n_splits, -folds, -np.nan_to_num(candidate.mean_score))


def _rungs(n_splits: int, n_repeats: int = 1) -> list[int]:
    """Fit counts at which the field is cut: 5 folds -> [2, 5]; 3 -> [1, 3]; 5 x 2 -> [5, 10]."""
    if n_repeats > 1:
        return [n_splits, n_splits * n_repeats]
    first = max(1, n_splits // 2)
    return [first, n_splits] if first < n_splits else [n_splits]


def _typical_fold(candidates: list[Candidate]) -> float:
    """Median fold time of the candidates measured so far: the guess for an unmeasured one."""
    measured = [c.fold_seconds for c in candidates if c.seconds]
    return float(np.median(measured)) if measured else 0.0


def _score_fold(candidate: Candidate, task: Task, split, scorer: Scorer) -> None:
    started = work_seconds()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fold = fit_predict_split(pipeline_for_task(candidate.config, task), task, split)
    except Exception as error:  # a failing candidate is dropped, with its reason shown
        candidate.error = one_line(error, limit=200)
        return
    candidate.oof[split.test] = fold.predictions
    candidate.fold_predictions.append(fold.predictions)
    candidate.fold_scores.append(scorer.primary_score(task.target_values[split.test],
                                                      fold.predictions))
    candidate.seconds.append(work_seconds() - started)

