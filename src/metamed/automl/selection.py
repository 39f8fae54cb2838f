"""The whole model-selection procedure on one task, and its honest evaluation.

:func:`select_model` is the procedure: meta-features -> recommendations ->
budgeted search -> one pipeline or a greedy ensemble. :func:`nested_oof`
runs that same procedure inside each outer fold and predicts the outer
test rows, so the reported score never comes from the data that chose the
model (the small-data trap where selection overfits).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator

from metamed.automl.ensemble import WeightedEnsemble, caruana_weights
from metamed.automl.search import (
    Candidate,
    Progress,
    SearchResult,
    candidate_pool,
    silent,
    successive_halving,
)
from metamed.data.task import Task
from metamed.errors import MetamedError
from metamed.evaluation import cross_validate_proba, plan_cv
from metamed.learners import N_CANDIDATES, MetaLearner, Recommendation
from metamed.space import config_hash, config_name, named_config, pipeline_for_task

#: Offset of the outer folds' seed, so they differ from the inner search's folds.
OUTER_SEED = 1000
#: Share of an outer fold's time kept for refitting the chosen model on its training rows.
REFIT_SHARE = 0.2


@dataclass
class Selection:
    """What the procedure chose on one task, and everything it saw on the way."""

    recommendations: list[Recommendation]
    search: SearchResult
    members: list[Candidate]
    weights: np.ndarray

    def estimator(self, task: Task) -> BaseEstimator:
        """The unfitted final model: one pipeline, or a weighted ensemble of several."""
        pipelines = [pipeline_for_task(m.config, task) for m in self.members]
        if len(pipelines) == 1:
            return pipelines[0]
        return WeightedEnsemble(pipelines, self.weights)


def select_model(task: Task, learner: MetaLearner, budget: float, *,
                 n_candidates: int = N_CANDIDATES,
                 n_splits: int = 5, n_repeats: int = 1, ensemble: bool = True,
                 seed: int = 0, progress: Progress = silent) -> Selection:
    """Recommend, search within ``budget`` seconds, and choose the final model."""
    progress("meta-features and recommendations")
    recommendations = learner.recommend(task, n_candidates)
    pool = candidate_pool([(r.config, r.rationale) for r in recommendations])
    search = successive_halving(task, pool, budget, n_splits=n_splits, n_repeats=n_repeats,
                                seed=seed, progress=progress)
    complete = search.complete or [c for c in search.candidates if c.fold_scores][:1]
    if not complete:  # nothing measured in time: fall back on the plain logistic regression
        baseline = config_hash(named_config("logreg"))
        complete = [c for c in search.candidates if config_hash(c.config) == baseline]
    if not ensemble or len(complete) < 2:
        return Selection(recommendations, search, complete[:1], np.ones(1))
    weights = caruana_weights([c.oof for c in complete], task.codes)
    used = weights > 0
    members = [c for c, u in zip(complete, used, strict=True) if u]
    return Selection(recommendations, search, members, weights[used])


def fit_selected(selection: Selection, task: Task) -> BaseEstimator:
    """Fit the chosen model on every row of ``task`` (labels as class indices)."""
    estimator = selection.estimator(task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(task.X, task.codes)


def _check_searchable(task: Task, plan) -> None:
    """Refuse, before any fit, outer folds whose training rows hold a class only once.

    The search inside each outer fold cross-validates again, which needs two
    rows of every class; with 2 rows in a class, 2 outer folds leave one.
    """
    for split in plan.splits:
        counts = np.bincount(task.codes[split.train], minlength=len(task.classes))
        if counts.min() < 2:
            label = task.classes[int(counts.argmin())]
            raise MetamedError(
                f"the honest (nested) evaluation needs at least 2 rows of every class in each "
                f"outer training fold, and class '{label}' has {int(counts.min())} there; add "
                "rows of that class or skip the honest estimate with --outer-folds 0.")


def nested_oof(task: Task, learner: MetaLearner, budget: float, *, outer_splits: int = 5,
               seed: int = 0, progress: Progress = silent, **search_options) -> np.ndarray:
    """Out-of-fold probabilities of the whole procedure, one outer fold at a time.

    Each outer fold gets an equal share of the time still left, less a
    reserve for refitting its choice, so a fold that ran long (a slow refit)
    is paid for by the folds after it and the total stays near ``budget``.
    """
    deadline = time.perf_counter() + budget
    plan = plan_cv(task, n_splits=outer_splits, n_repeats=1, seed=seed + OUTER_SEED)
    _check_searchable(task, plan)
    proba = np.zeros((task.n_rows, len(task.classes)))
    for i, split in enumerate(plan.splits):
        inner = task.subset(split.train)
        share = max(0.0, deadline - time.perf_counter()) / (len(plan.splits) - i)
        def in_fold(stage: str, fold: int = i + 1) -> None:
            progress(f"honest CV fold {fold}/{len(plan.splits)}: {stage}")

        selection = select_model(inner, learner, share * (1 - REFIT_SHARE), seed=seed,
                                 progress=in_fold, **search_options)
        in_fold("refit")
        model = fit_selected(selection, inner)
        present = [task.classes.index(c) for c in inner.classes]
        proba[np.ix_(split.test, present)] = model.predict_proba(task.X.iloc[split.test])
    return proba


def refit_oof(task: Task, config: dict, outer_splits: int, seed: int) -> np.ndarray:
    """Out-of-fold probabilities of one fixed config on the outer folds of :func:`nested_oof`.

    The same folds make the two comparable patient by patient (the baseline
    verdict, the oracle reference of leave-one-task-out).
    """
    plan = plan_cv(task, n_splits=outer_splits, n_repeats=1, seed=seed + OUTER_SEED)
    with warnings.catch_warnings():  # convergence chatter, as in the search
        warnings.simplefilter("ignore")
        _, oof = cross_validate_proba(pipeline_for_task(config, task), task, plan,
                                      config_name(config))
    return oof[0]
