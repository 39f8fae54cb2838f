"""The metamed procedure: recommend, search, evaluate honestly, refit.

What ``MetaClassifier.fit`` and ``MetaRegressor.fit`` run, kept apart from
the estimators so that loading a model file and predicting never imports
the search, the meta-learners or the knowledge base (start-up time of
``metamed predict``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from metamed.automl.conformal import LEVELS, coverage
from metamed.automl.search import Progress, silent
from metamed.automl.selection import fit_selected, nested_oof, refit_oof, select_model
from metamed.automl.state import FittedState
from metamed.clock import WorkClock
from metamed.data.task import Task
from metamed.errors import MetamedError
from metamed.evaluation.intervals import (
    MIN_BOOT,
    Interval,
    bootstrap_intervals,
    expected_seconds,
    paired_intervals,
    resampled_units,
)
from metamed.evaluation.scoring import Scorer
from metamed.kinds import meta_kind
from metamed.knowledge import open_storage
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.units import cap_task
from metamed.learners import MetaLearner, PortfolioDefaults, make_learner
from metamed.space import config_name, named_config
from metamed.space.privacy import config_keeps_rows
from metamed.survival.calibration import observed_expected

#: Share of the time left for the honest outer CV; what remains then chooses the final model.
HONEST_SHARE = 0.5
#: Share of the budget kept back for the final refit on all rows, so the total stays within it.
REFIT_RESERVE = 0.15
#: Table cells (rows x columns) the search and the honest CV afford per second of budget; a
#: larger table is searched on a stratified subsample, and the final model refit on every row.
CELLS_PER_SECOND = 20_000
#: Never subsample below this many rows: small tables, metamed's purpose, are searched whole.
MIN_SEARCHED_ROWS = 5_000
#: Resampled rows the honest intervals afford per second of budget (about a fifth of it).
BOOT_ROWS_PER_SECOND = 200_000


@lru_cache(maxsize=4)
def load_metadata(kb: str | None, kind: str) -> MetaData:
    """Meta-training data of one kind of task in a knowledge base (None: the shipped one);
    ``kind`` is a task type, or a name in :data:`metamed.kinds.META_KINDS` ("molecules")."""
    return MetaData.from_storage(open_storage(kb, read_only=True), kind)


def fitted_learner(name: str, metadata: MetaData, kind: str) -> tuple[MetaLearner, list[str]]:
    """The meta-learner ``name`` fitted on ``metadata``; the family defaults, said so, when
    the knowledge base holds no task of this kind (a task type, or "molecules")."""
    if metadata.task_ids:
        return make_learner(name).fit(metadata), []
    note = (f"the knowledge base holds no {meta_kind(kind).meta_words} tasks: the search "
            "tries the model families at their defaults, without meta-knowledge.")
    return PortfolioDefaults(kind).fit(metadata), [note]


@dataclass(frozen=True)
class Honest:
    """What the outer CV measured: predictions, intervals, the paired difference from LR,
    and the calibration of the procedure without its recalibration step: a classification's
    slope, a survival model's observed / expected events (before and after)."""

    oof_predictions: np.ndarray
    metrics: dict[str, Interval]
    baseline: dict[str, Interval]
    slope_before: float | None
    recalibrated_folds: int
    coverage: dict
    oe_before: float | None = None
    oe_after: float | None = None


def affordable_rows(task: Task, budget: float, seed: int) -> tuple[Task, list[str]]:
    """The rows the search and the honest CV can afford in ``budget`` seconds, and a note.

    A table past :data:`CELLS_PER_SECOND` x ``budget`` cells (and
    :data:`MIN_SEARCHED_ROWS` rows) is searched on a stratified subsample:
    on hundreds of thousands of rows the scores of a subsample already
    differ by less than their noise, and the whole table would spend the
    budget on the baseline's folds alone. Deterministic (``seed``), so the
    same table gives the same subsample.
    """
    rows = max(MIN_SEARCHED_ROWS, int(CELLS_PER_SECOND * budget / max(1, task.n_features)))
    if task.n_rows <= rows:
        return task, []
    searched = cap_task(task, max_rows=rows, max_features=task.n_features, seed=seed)
    return searched, [f"the search and the honest evaluation used a stratified subsample of "
                      f"{searched.n_rows:,} of the {task.n_rows:,} rows (what a {budget:g} s "
                      "budget affords); the final model was refit on every row."]


def affordable_resamples(n_rows: int, budget: float) -> int:
    """Bootstrap resamples of the honest intervals that ``budget`` seconds afford.

    Up to 1,000, fewer once resamples of thousands of rows would take more
    than a fifth of a short budget (never fewer than ``MIN_BOOT``): from
    the table's size and the budget alone, so a busy machine draws the same.
    """
    affordable = int(BOOT_ROWS_PER_SECOND * budget) // resampled_units(n_rows)
    return min(1000, max(MIN_BOOT, affordable))


def fitted_state(estimator, task: Task, clock: WorkClock, *, input_columns: list[str] | None,
                 named_input: bool, progress: Progress | None) -> FittedState:
    """Everything ``estimator`` (its parameters) learns from ``task``, as one state."""
    progress = progress or silent
    if task.task_type != estimator.task_type:
        name, wanted = type(estimator).__name__, task.kind.part("estimator").__name__
        raise MetamedError(f"{name} fits a {estimator.task_type} and the table's "
                           f"target makes a {task.task_type}; use {wanted}.")
    learner, notes = _learner_for(estimator, task)
    budget = estimator.time_budget
    searched, cut = affordable_rows(task, budget, estimator.random_state)
    options = dict(n_candidates=estimator.n_candidates, n_splits=estimator.n_splits,
                   n_repeats=estimator.n_repeats, ensemble=estimator.ensemble,
                   seed=estimator.random_state, clock=clock, progress=progress)
    honest = (_honest(estimator, searched, learner, clock, options)
              if estimator.outer_splits else None)
    search_budget = budget - clock.used() - budget * REFIT_RESERVE
    nominal = budget * (1 - REFIT_RESERVE - (HONEST_SHARE if honest else 0))
    selection = select_model(searched, learner, max(0.0, search_budget), plan_budget=nominal,
                             **options)
    progress("final fit on every row")
    recalibration = _recalibration(selection, honest)
    return FittedState(
        model=fit_selected(selection, task, budget - clock.used()),
        classes=np.asarray(task.classes),
        positive_index=task.positive_index,
        input_columns=list(task.X.columns) if input_columns is None else input_columns,
        named_input=named_input,
        feature_types=dict(task.feature_types),
        cv_results=honest.metrics if honest else {},
        baseline_comparison=honest.baseline if honest else {},
        oof_predictions=honest.oof_predictions if honest else None,
        oof_target=searched.target_values,
        leaderboard=selection.search.leaderboard(),
        recommendations=selection.recommendations,
        best_config=selection.search.candidates[0].config,
        ensemble=[(config_name(m.config), float(w))
                  for m, w in zip(selection.members, selection.weights, strict=True)],
        task_summary=task.summary(),
        notes=(notes + cut + selection.search.budget_notes() + selection.refit_notes()
               + _hazard_notes(recalibration) + clock.notes()),
        fit_seconds=clock.wall(),
        decision=selection.decision,
        recalibration=recalibration,
        task_type=task.task_type,
        interval_coverage=honest.coverage if honest else {},
    )


def _honest(estimator, task: Task, learner, clock: WorkClock, options: dict) -> Honest:
    """The whole procedure in outer CV, its intervals, and its difference from the baseline.

    The intervals' expected time (three bootstraps' worth: the metrics,
    then both sides of the paired difference) is set aside first.
    """
    scorer = Scorer.for_task(task)
    target, positive, groups = task.target_values, task.positive_index, task.group_labels
    budget, seed, outer = estimator.time_budget, estimator.random_state, estimator.outer_splits
    n_boot = affordable_resamples(len(target), budget)
    reserve = 3 * expected_seconds(target, task.n_outputs, scorer, n_boot)
    # The plan takes the nominal share: the reserve is timed, so it varies a little.
    nested = nested_oof(task, learner, (budget - clock.used() - reserve) * HONEST_SHARE,
                        outer_splits=outer, plan_budget=budget * HONEST_SHARE, **options)
    say: Progress = options["progress"]
    say(f"intervals and the comparison with {task.kind.baseline_words}")
    oof = nested.predictions
    baseline = (oof if nested.baseline_only
                else refit_oof(task, named_config(task.kind.baseline), outer, seed))
    slope_before = None if positive is None else scorer.slope(target, nested.raw)
    survival = task.task_type == "survival"
    return Honest(
        oof_predictions=oof,
        metrics=bootstrap_intervals(target, oof[None], scorer, groups, n_boot, seed=seed),
        baseline=paired_intervals(target, oof, baseline, scorer, groups, n_boot, seed=seed),
        slope_before=slope_before,
        recalibrated_folds=nested.recalibrated_folds,
        coverage={} if nested.bounds is None else {
            f"{level:g}": coverage(target, nested.bounds[:, :, k])
            for k, level in enumerate(LEVELS)},
        oe_before=_oe_ratio(target, nested.raw, task.horizons) if survival else None,
        oe_after=_oe_ratio(target, oof, task.horizons) if survival else None,
    )


def _oe_ratio(target: np.ndarray, predictions: np.ndarray, horizons: tuple[float, ...]) -> float:
    """Events observed / expected up to the last horizon: what a hazard multiplier corrects.

    Not the calibration slope, which ``S ** gamma`` leaves as it is (its
    complementary log-log only shifts by ``log gamma``).
    """
    observed, expected = observed_expected(target, predictions, horizons)
    return observed / expected if expected > 0 else float("nan")


def _learner_for(estimator, task: Task) -> tuple[MetaLearner, list[str]]:
    """The meta-learner fitted on the KB's tasks of this type, without this very table.

    With ``shareable``, only configs that keep no training values are
    left, so every recommendation (and its reason) is one the search may run.
    """
    metadata, notes = load_metadata(estimator.kb, task.kind.meta_name), []
    if estimator.shareable:
        metadata = metadata.with_configs([not config_keeps_rows(c) for c in metadata.configs])
        notes.append("shareable: only pipelines whose fitted model keeps no patient values "
                     "were searched.")
    unknown = [t for t in estimator.leave_out if t not in metadata.task_ids]
    if unknown:
        raise MetamedError(f"leave_out names {', '.join(map(repr, unknown))}, which the "
                           f"knowledge base does not hold as complete {task.kind.meta_name} "
                           "tasks.")
    for task_id in estimator.leave_out:
        if task_id in metadata.task_ids:  # not yet gone with an earlier one's family
            metadata = metadata.without(task_id)
    if estimator.leave_out:
        notes.append(f"the knowledge base's task(s) {', '.join(estimator.leave_out)} and their "
                     "families were left out, as asked.")
    known = metadata.known_as(task.content_hash())
    if known is not None:
        metadata = metadata.without(known)
        notes.append(f"this table is the knowledge base's task '{known}'; it and its family "
                     "were left out, so recommendations come from other tasks.")
    learner, more = fitted_learner(estimator.learner, metadata, task.kind.meta_name)
    return learner, notes + more


def _recalibration(selection, honest: Honest | None) -> dict:
    """The final model's recalibration, and what the honest CV saw with and without it."""
    found: dict = {}
    if selection.calibration:
        found["intercept"], found["slope"] = selection.calibration
    if selection.hazard_multiplier is not None:
        found["hazard_multiplier"] = selection.hazard_multiplier
    if honest and honest.slope_before is not None:
        found.update(outer_folds_recalibrated=honest.recalibrated_folds,
                     honest_slope_before=honest.slope_before,
                     honest_slope_after=honest.metrics["calibration_slope"].estimate)
    if honest and honest.oe_before is not None:  # its own keys: the report's slope sentence
        found.update(outer_folds_hazard_recalibrated=honest.recalibrated_folds,
                     honest_oe_before=honest.oe_before, honest_oe_after=honest.oe_after)
    return found


def _hazard_notes(found: dict) -> list[str]:
    """A survival model's baseline-hazard recalibration in words, with what the honest CV saw.

    Notes, not the report's recalibration sentence, which speaks of
    classification's logit intercept and slope.
    """
    notes = []
    if "hazard_multiplier" in found:
        gamma = found["hazard_multiplier"]
        notes.append(f"the final model's baseline hazard is multiplied by {gamma:.2f} (its "
                     f"survival S(t) raised to that power, risk scores unchanged), because its "
                     f"out-of-fold events up to the last horizon were {gamma:.2f} times those "
                     "it predicted.")
    folds = found.get("outer_folds_hazard_recalibrated")
    if folds == 0:
        notes.append("no outer fold needed its baseline hazard recalibrated (honest observed / "
                     f"expected events up to the last horizon {found['honest_oe_after']:.2f}).")
    elif folds:
        notes.append(f"honest observed / expected events up to the last horizon "
                     f"{found['honest_oe_before']:.2f} before the baseline-hazard "
                     f"recalibration, {found['honest_oe_after']:.2f} after (recalibrated in "
                     f"{folds} outer fold{'s' if folds > 1 else ''}).")
    return notes
