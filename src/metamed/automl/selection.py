"""The whole model-selection procedure on one task, and its honest evaluation.

:func:`select_model` is the procedure: meta-features -> recommendations ->
budgeted search -> one pipeline or a greedy ensemble. :func:`nested_oof`
runs that same procedure inside each outer fold and predicts the outer
test rows, so the reported score never comes from the data that chose the
model (the small-data trap where selection overfits). Both serve every
task type; a classification's risks are recalibrated on the logit scale
(:mod:`metamed.automl.calibration`), a survival model's baseline hazard by a
multiplier (:mod:`metamed.survival.calibration`), each only where the
out-of-fold predictions call for it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator

from metamed.automl.calibration import Recalibrated, recalibration
from metamed.automl.conformal import CV_PLUS_FOLDS, LEVELS, ConformalRegressor
from metamed.automl.costs import CostModel
from metamed.automl.ensemble import caruana_weights
from metamed.automl.policy import (
    Decision,
    LeaveLRPolicy,
    default_policy,
    kb_prior,
    paired_evidence,
)
from metamed.automl.search import (
    PLAN_SHARE,
    Candidate,
    Progress,
    SearchResult,
    candidate_pool,
    plan_pool,
    silent,
    successive_halving,
)
from metamed.clock import WorkClock
from metamed.data.task import Task
from metamed.errors import MetamedError
from metamed.evaluation import cross_validate_proba, plan_cv
from metamed.evaluation.scoring import Scorer
from metamed.knowledge.metafeatures import compute_metafeatures
from metamed.learners import N_CANDIDATES, MetaLearner, Recommendation
from metamed.space import config_hash, config_name, pipeline_for_task
from metamed.survival.calibration import RecalibratedSurvival, hazard_recalibration

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
    decision: Decision | None = None
    calibration: tuple[float, float] | None = None
    #: A survival model's baseline-hazard multiplier, where its out-of-fold level was off.
    hazard_multiplier: float | None = None
    conformal_folds: int = CV_PLUS_FOLDS

    @property
    def recalibrated(self) -> bool:
        """Whether the final model is wrapped in a recalibration (of either kind)."""
        return bool(self.calibration) or self.hazard_multiplier is not None

    def fit_conformal_in(self, seconds: float) -> None:
        """Fewer CV+ refits (down to 2) when all of them would not fit in ``seconds``.

        The estimate is the members' measured fold times, once per CV+ fold
        and 1.25 times for the fit on every row (a search fold trains on
        80% of them). It binds only when the cost model under-predicted a
        member: the plan already holds the refits of its predicted costs.
        """
        fold = sum(m.fold_seconds for m in self.members)
        if fold > 0:
            fitting = int(seconds / fold - 1.25)
            self.conformal_folds = min(CV_PLUS_FOLDS, max(2, fitting))

    def refit_notes(self) -> list[str]:
        """What the time budget cut from the final refit, in words."""
        if self.conformal_folds == CV_PLUS_FOLDS:
            return []
        return [f"the prediction intervals rest on {self.conformal_folds} CV+ refits instead of "
                f"{CV_PLUS_FOLDS}: the chosen model fits slower than predicted, and more did "
                "not fit in the time budget."]

    def estimator(self, task: Task) -> BaseEstimator:
        """The unfitted final model: one pipeline or a weighted ensemble, maybe recalibrated
        (a classification's risks, a survival model's baseline hazard); a regression's comes
        with conformal prediction intervals."""
        pipelines = [pipeline_for_task(m.config, task) for m in self.members]
        blend = task.kind.part("blend")
        model = pipelines[0] if len(pipelines) == 1 else blend(pipelines, self.weights)
        if task.is_regression:
            return ConformalRegressor(model, cv=self.conformal_folds)
        if self.hazard_multiplier is not None:
            return RecalibratedSurvival(model, self.hazard_multiplier)
        return Recalibrated(model, *self.calibration) if self.calibration else model

    def oof(self) -> np.ndarray:
        """The final blend's out-of-fold predictions in the search (NaN where unmeasured)."""
        return sum(w * m.oof for m, w in zip(self.members, self.weights, strict=True))


@dataclass(frozen=True)
class NestedOOF:
    """The whole procedure's outer-CV predictions, before and after any recalibration."""

    predictions: np.ndarray
    raw: np.ndarray
    recalibrated_folds: int
    bounds: np.ndarray | None = None
    #: Whether every outer fold chose the baseline alone, unrecalibrated: then ``proba`` is
    #: the baseline's own outer-CV prediction, and need not be fitted again to compare.
    baseline_only: bool = False


def select_model(task: Task, learner: MetaLearner, budget: float, *,
                 n_candidates: int = N_CANDIDATES,
                 n_splits: int = 5, n_repeats: int = 1, ensemble: bool = True,
                 policy: LeaveLRPolicy | None = None, plan_budget: float | None = None,
                 seed: int = 0, clock: WorkClock | None = None,
                 progress: Progress = silent) -> Selection:
    """Recommend, plan, search within ``budget`` seconds of work, propose, decide against
    plain LR.

    The plan keeps the recommendations whose predicted cost (from the KB's
    fit times) fits in ``plan_budget`` (default ``budget``); ``budget``,
    counted on ``clock`` (:mod:`metamed.clock`), is then only a ceiling. A
    KB without tasks of this type has no times to plan from: then every
    recommendation is kept and ``budget`` alone decides what is measured.
    A caller that wants the same answer on a busy machine passes a
    ``plan_budget`` that does not depend on the clock.

    The proposal is the greedy ensemble of the fully evaluated candidates
    (or the best one without ``ensemble``); ``policy`` then keeps LR, blends
    it in, or leaves it (:mod:`metamed.automl.policy`); by default the
    one chosen for the task's kind (:func:`~metamed.automl.policy.default_policy`).
    """
    progress("meta-features and recommendations")
    metafeatures = np.asarray(compute_metafeatures(task), dtype=float)
    recommendations = learner.recommend(metafeatures, n_candidates)
    pool = candidate_pool([(r.config, r.rationale) for r in recommendations], task.kind)
    planned_out = 0
    if learner.metadata_.task_ids:
        cost = CostModel.from_metadata(learner.metadata_)
        pool, planned_out = plan_pool(
            pool, lambda c: cost.seconds(c.config, config_hash(c.config), metafeatures),
            budget if plan_budget is None else plan_budget, n_splits * n_repeats,
            refit_folds=CV_PLUS_FOLDS if task.is_regression else 0)
    search = successive_halving(task, pool, budget, n_splits=n_splits, n_repeats=n_repeats,
                                seed=seed, clock=clock, progress=progress)
    search.planned_out = planned_out
    members, weights = _proposal(search, task, ensemble)
    selection = Selection(recommendations, search, members, weights)
    baseline = _baseline(search)
    proposes_lr = len(members) == 1 and members[0] is baseline
    policy = policy or default_policy(task.kind)
    if baseline is not None and not proposes_lr:
        selection = _decide(selection, baseline, policy, task, learner, metafeatures)
    _recalibrate(selection, task)
    return selection


def _recalibrate(selection: Selection, task: Task) -> None:
    """Decide the final blend's recalibration on its out-of-fold predictions in the search.

    Only where every row was measured: a NaN row is one the blend never predicted.
    """
    oof = selection.oof()
    if np.isnan(oof).any():
        return
    if task.kind.has_classes:
        selection.calibration = recalibration(task.codes, oof)
    elif task.task_type == "survival":
        selection.hazard_multiplier = hazard_recalibration(task.target_values, oof,
                                                           task.horizons)


def _proposal(search: SearchResult, task: Task, ensemble: bool
              ) -> tuple[list[Candidate], np.ndarray]:
    """The search's best candidate, or the greedy ensemble of the fully evaluated ones.

    When the budget let no candidate finish, the baseline is proposed (it
    needs no evidence to stay); a partly measured candidate only when the
    baseline itself failed.
    """
    complete = search.complete
    if not complete:
        reference = [c for c in search.candidates if c.reference]
        usable = [c for c in reference if not c.error]
        complete = usable or [c for c in search.candidates if c.fold_scores][:1] or reference
    if not ensemble or len(complete) < 2:
        return complete[:1], np.ones(1)
    weights = caruana_weights([c.oof for c in complete], task.target_values,
                              loss=Scorer.for_task(task).loss)
    used = weights > 0
    return [c for c, u in zip(complete, used, strict=True) if u], weights[used]


def _baseline(search: SearchResult) -> Candidate | None:
    """The baseline (plain LR, tuned ridge), if the search measured it on every fold of a CV."""
    found = [c for c in search.candidates if c.reference]
    return found[0] if found and len(found[0].fold_predictions) >= search.n_splits else None


def _decide(selection: Selection, baseline: Candidate, policy: LeaveLRPolicy, task: Task,
            learner: MetaLearner, metafeatures: np.ndarray) -> Selection:
    """Weigh the proposal against LR fold by fold, with the KB's prior; blend as decided.

    Without any fold holding both classes (or two values) there is no evidence, and the
    baseline is kept.
    """
    members, weights = selection.members, selection.weights
    n_folds = min(len(c.fold_predictions) for c in [*members, baseline])
    tests = selection.search.tests[:n_folds]
    blended = [sum(w * m.fold_predictions[f] for m, w in zip(members, weights, strict=True))
               for f in range(n_folds)]
    try:
        evidence = paired_evidence(blended, baseline.fold_predictions[:n_folds],
                                   [task.target_values[t] for t in tests],
                                   len(tests[0]) / task.n_rows, Scorer.for_task(task))
    except MetamedError:  # no fold can compare them (grouped folds of one class): keep LR
        return Selection(selection.recommendations, selection.search, [baseline], np.ones(1))
    proposal = {config_hash(m.config): float(w) for m, w in zip(members, weights, strict=True)}
    prior = kb_prior(learner.metadata_, metafeatures, proposal, config_hash(baseline.config))
    decision = policy.decide(prior, evidence, task.kind)
    final, final_weights = _combine([baseline, *members],
                                    np.r_[1 - decision.weight, decision.weight * weights])
    return Selection(selection.recommendations, selection.search, final, final_weights, decision)


def _combine(members: list[Candidate], weights: np.ndarray) -> tuple[list[Candidate], np.ndarray]:
    """One entry per config (LR may be both the baseline and a member), zero weights dropped."""
    summed: dict[str, tuple[Candidate, float]] = {}
    for member, weight in zip(members, weights, strict=True):
        digest = config_hash(member.config)
        summed[digest] = (member, summed.get(digest, (member, 0.0))[1] + float(weight))
    kept = [(m, w) for m, w in summed.values() if w > 0]
    return [m for m, _ in kept], np.array([w for _, w in kept])


def fit_selected(selection: Selection, task: Task, seconds: float | None = None
                 ) -> BaseEstimator:
    """Fit the chosen model on every row of ``task`` (class indices, or a regression's numbers);
    with ``seconds`` left, a regression's CV+ refits are fitted to them."""
    if seconds is not None and task.is_regression:
        selection.fit_conformal_in(seconds)
    estimator = selection.estimator(task)
    grouped = {"groups": task.group_labels} if task.is_regression else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(task.X, task.target_values, **grouped)


def _check_searchable(task: Task, plan) -> None:
    """Refuse, before any fit, outer folds whose training rows hold a class only once.

    The search inside each outer fold cross-validates again, which needs two
    rows of every class; with 2 rows in a class, 2 outer folds leave one.
    """
    if not task.kind.has_classes:
        return
    for split in plan.splits:
        counts = np.bincount(task.codes[split.train], minlength=len(task.classes))
        if counts.min() < 2:
            label = task.classes[int(counts.argmin())]
            raise MetamedError(
                f"the honest (nested) evaluation needs at least 2 rows of every class in each "
                f"outer training fold, and class '{label}' has {int(counts.min())} there; add "
                "rows of that class or skip the honest estimate with --outer-folds 0.")


def nested_oof(task: Task, learner: MetaLearner, budget: float, *, outer_splits: int = 5,
               seed: int = 0, plan_budget: float | None = None, clock: WorkClock | None = None,
               progress: Progress = silent, **search_options) -> NestedOOF:
    """Out-of-fold probabilities of the whole procedure, one outer fold at a time.

    The raw probabilities are those of each fold's model before its
    recalibration (the same where none was needed): their calibration is
    the "before" that the recalibration is judged against. A survival
    fold's recalibration, like a classification's, is decided on that
    fold's inner out-of-fold predictions alone (in :func:`select_model`).

    A regression's folds also predict their conformal intervals at every
    level of :data:`~metamed.automl.conformal.LEVELS` (``bounds``: rows x
    2 x levels), whose coverage of the held-out outcomes is the honest one.

    Each fold's search is planned on an equal share of ``plan_budget``
    (default ``budget``), which does not depend on the clock. Its ceiling is
    all the work left on ``clock`` (:mod:`metamed.clock`) but what the later
    folds' planned work needs (less a reserve for refitting).
    """
    clock = clock or WorkClock(budget)
    deadline = clock.used() + budget
    plan = plan_cv(task, n_splits=outer_splits, n_repeats=1, seed=seed + OUTER_SEED)
    _check_searchable(task, plan)
    proba = np.zeros((task.n_rows, task.n_outputs))
    raw, recalibrated = proba.copy(), 0
    bounds = np.zeros((task.n_rows, 2, len(LEVELS))) if task.is_regression else None
    planned = (budget if plan_budget is None else plan_budget) / len(plan.splits) * (
        1 - REFIT_SHARE)
    baseline_only = True
    for i, split in enumerate(plan.splits):
        inner = task.subset(split.train)
        later = (len(plan.splits) - i - 1) * planned * PLAN_SHARE
        ceiling = max(0.0, deadline - clock.used() - later) * (1 - REFIT_SHARE)
        def in_fold(stage: str, fold: int = i + 1) -> None:
            progress(f"honest CV fold {fold}/{len(plan.splits)}: {stage}")

        selection = select_model(inner, learner, ceiling, seed=seed, plan_budget=planned,
                                 clock=clock, progress=in_fold, **search_options)
        in_fold("refit")
        model = fit_selected(selection, inner, deadline - clock.used() - later)
        baseline_only &= (not selection.recalibrated and len(selection.members) == 1
                          and selection.members[0].reference)
        rows, unwrapped = task.X.iloc[split.test], _unwrapped(model)
        recalibrated += unwrapped is not model
        if not task.kind.has_classes:
            predict = task.kind.part("predict")
            proba[split.test] = predict(model, rows, task.horizons)
            raw[split.test] = (proba[split.test] if unwrapped is model
                               else predict(unwrapped, rows, task.horizons))
            if bounds is not None:
                bounds[split.test] = model.predict_intervals(rows)
            continue
        present = [task.classes.index(c) for c in inner.classes]
        proba[np.ix_(split.test, present)] = model.predict_proba(rows)
        raw[np.ix_(split.test, present)] = unwrapped.predict_proba(rows)
    return NestedOOF(proba, raw, recalibrated, bounds, baseline_only)


def _unwrapped(model: BaseEstimator) -> BaseEstimator:
    """The model without its recalibration (itself where it has none)."""
    return model.estimator if isinstance(model, Recalibrated | RecalibratedSurvival) else model


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
