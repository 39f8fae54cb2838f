"""Replay selection policies on stored out-of-fold predictions, without refitting.

For one held-out task, the predictions of its search candidates (5-fold,
from the KB) are split by patient into a *seen* random half, where a policy
runs its search-like step (greedy ensemble or CV-best, paired evidence on
the folds restricted to the seen rows, prior from the KB without the task's
family), and an *unseen* half, where its final blend is scored. Averaged
over many halves, this measures a policy on a task in milliseconds
instead of a nested search's minute (the approach TabRepo showed for
AutoGluon's portfolios). Predictions were made by models that saw 80% of
all rows, so the seen half is slightly optimistic for every candidate
alike; the real procedure is then confirmed by ``bench loto --mode search``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metamed.automl.calibration import recalibrated, recalibration
from metamed.automl.ensemble import caruana_weights
from metamed.automl.policy import LeaveLRPolicy, kb_prior, paired_evidence
from metamed.data.task import rank_bins
from metamed.evaluation.scoring import Scorer
from metamed.kinds import kind_of
from metamed.knowledge.metadata import MetaData

#: Reference rows every replay reports beside the policies.
REFERENCES = ("always baseline", "single best", "ungated ensemble", "ungated CV-best", "oracle")
PROPOSALS = ("ensemble", "best")
#: Outcome bins a regression's halves are stratified on, as its CV folds are.
HALF_BINS = 5


@dataclass(frozen=True)
class ReplayTask:
    """A held-out task's outcomes (class indices or numbers), its stored folds and its
    candidates' out-of-fold predictions; ``baseline`` is plain LR or the tuned ridge."""

    task_id: str
    target: np.ndarray
    folds: np.ndarray
    oof: dict[str, np.ndarray]
    baseline: str
    single_best: str
    scorer: Scorer


def replay_task(data: ReplayTask, visible: MetaData, metafeatures: np.ndarray,
                policies: dict[str, tuple[str, LeaveLRPolicy]], halves: int = 20,
                seed: int = 0, recalibration_p: float | None = None) -> pd.DataFrame:
    """One row per (half, policy or reference): the primary score (ROC AUC, R² or Harrell's
    C) and the calibration slope on the unseen half.

    ``policies`` maps a name to (proposal kind, policy); ``visible`` is the
    KB without this task and its family (the prior's source). With
    ``recalibration_p``, each policy's final blend is then recalibrated as
    ``fit`` does (:func:`~metamed.automl.calibration.recalibration` at that
    level, fitted on the seen rows); the references stay as they are.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for half in range(halves):
        seen = _stratified_half(data, rng)
        rows += [{"task": data.task_id, "half": half, **row} for row in _replay_half(
            data, seen, visible, metafeatures, policies, recalibration_p)]
    return pd.DataFrame(rows)


def _replay_half(data: ReplayTask, seen: np.ndarray, visible: MetaData,
                 metafeatures: np.ndarray, policies: dict,
                 recalibration_p: float | None = None) -> list[dict]:
    unseen = ~seen
    names = list(data.oof)
    base = data.oof[data.baseline]
    proposals = {kind: _proposal(kind, data, seen, names) for kind in PROPOSALS}
    scored: dict[tuple[str, float, bool], dict] = {}

    def score(kind: str, weight: float, final: bool = False) -> dict:
        key = (kind, weight, final and recalibration_p is not None)
        if key not in scored:
            blend = (1 - weight) * base + weight * proposals[kind][1]
            if key[2]:
                blend = _recalibrated(data, seen, blend, recalibration_p)
            scored[key] = _scores(data, unseen, blend)
        return scored[key]

    rows = [{"policy": "always baseline", **score("ensemble", 0.0)},
            {"policy": "single best", **_scores(data, unseen, data.oof[data.single_best])},
            {"policy": "ungated ensemble", **score("ensemble", 1.0)},
            {"policy": "ungated CV-best", **score("best", 1.0)},
            {"policy": "oracle", **max((_scores(data, unseen, data.oof[n]) for n in names),
                                       key=lambda s: s["score"])}]
    evidence = {kind: _evidence(data, seen, proba) for kind, (_, proba) in proposals.items()}
    priors = {kind: kb_prior(visible, metafeatures, weights, data.baseline)
              for kind, (weights, _) in proposals.items()}
    for name, (kind, policy) in policies.items():
        weights = proposals[kind][0]
        if evidence[kind] is None or set(weights) == {data.baseline}:
            rows.append({"policy": name, **score(kind, 0.0, final=True), "weight": 0.0})
            continue
        decision = policy.decide(priors[kind], evidence[kind], kind_of(data.scorer.task_type))
        rows.append({"policy": name, **score(kind, decision.weight, final=True),
                     "weight": decision.weight})
    return rows


def _recalibrated(data: ReplayTask, seen: np.ndarray, blend: np.ndarray, p_value: float
                  ) -> np.ndarray:
    """The blend after ``fit``'s recalibration step, decided on the seen rows."""
    found = recalibration(data.target[seen], blend[seen], p_value)
    return blend if found is None else recalibrated(blend, *found)


def _proposal(kind: str, data: ReplayTask, seen: np.ndarray,
              names: list[str]) -> tuple[dict[str, float], np.ndarray]:
    """The search's proposal on the seen half: config weights and its predictions (all rows)."""
    if kind == "ensemble":
        weights = caruana_weights([data.oof[n][seen] for n in names], data.target[seen],
                                  loss=data.scorer.loss)
    else:
        means = [np.nanmean(_fold_scores(data, seen, data.oof[n])) for n in names]
        weights = np.eye(len(names))[int(np.argmax(means))]
    chosen = {n: float(w) for n, w in zip(names, weights, strict=True) if w > 0}
    return chosen, sum(w * data.oof[n] for n, w in chosen.items())


def _evidence(data: ReplayTask, seen: np.ndarray, predictions: np.ndarray):
    """Paired evidence on the stored folds restricted to the seen rows (None if no fold works)."""
    parts = _seen_folds(data, seen)
    usable = [p for p in parts if len(np.unique(data.target[p])) > 1]
    if len(usable) < 2:
        return None
    base = data.oof[data.baseline]
    return paired_evidence([predictions[p] for p in usable], [base[p] for p in usable],
                           [data.target[p] for p in usable], test_share=1 / len(parts),
                           scorer=data.scorer)


def _fold_scores(data: ReplayTask, seen: np.ndarray, predictions: np.ndarray) -> list[float]:
    return [data.scorer.primary_score(data.target[p], predictions[p])
            if len(np.unique(data.target[p])) > 1 else np.nan for p in _seen_folds(data, seen)]


def _seen_folds(data: ReplayTask, seen: np.ndarray) -> list[np.ndarray]:
    """Each stored fold's test rows among the seen ones, as boolean masks."""
    return [seen & (data.folds == f) for f in np.unique(data.folds)]


def _scores(data: ReplayTask, rows: np.ndarray, predictions: np.ndarray) -> dict:
    """Primary score and calibration slope (NaN for several classes)."""
    target, predictions = data.target[rows], predictions[rows]
    return {"score": data.scorer.primary_score(target, predictions),
            "calibration_slope": data.scorer.slope(target, predictions)}


def _stratified_half(data: ReplayTask, rng: np.random.Generator) -> np.ndarray:
    """A random half of the rows of every class, of every outcome bin of a regression, or
    of the events and the censored of a survival task (at least one seen and one unseen row
    each), as its CV folds are stratified."""
    strata = data.target
    if data.target.ndim == 2:  # survival: (time, event)
        strata = data.target[:, 1]
    elif not kind_of(data.scorer.task_type).has_classes:
        strata = rank_bins(data.target, HALF_BINS)
    seen = np.zeros(len(strata), dtype=bool)
    for k in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == k))
        take = min(max(1, len(members) // 2), len(members) - 1) if len(members) > 1 else 0
        seen[members[:take]] = True
    return seen


def summarize_replay(rows: pd.DataFrame, tie: float = 0.005, big_loss: float = 0.02
                     ) -> pd.DataFrame:
    """Per policy: mean score, mean difference from the baseline with a 95% CI over tasks,
    W/T/L, big losses, median calibration slope, mean weight of the proposal (how far the
    policy leaves the baseline). Each task counts once (its mean over halves)."""
    rows = rows.assign(weight=rows.get("weight", np.nan))  # references have no weight
    per_task = rows.groupby(["policy", "task"])[["score", "calibration_slope", "weight"]].mean()
    score = per_task["score"].unstack("policy")
    delta = score.sub(score["always baseline"], axis=0)
    n = len(score)
    half_width = 1.96 * delta.std(ddof=1) / np.sqrt(n)
    table = pd.DataFrame({
        "mean_score": score.mean(),
        "vs_baseline": delta.mean(),
        "ci_low": delta.mean() - half_width,
        "ci_high": delta.mean() + half_width,
        "wins": (delta > tie).sum(),
        "ties": (delta.abs() <= tie).sum(),
        "losses": (delta < -tie).sum(),
        "big_losses": (delta < -big_loss).sum(),
        "median_slope": per_task["calibration_slope"].unstack("policy").median(),
        "mean_weight": per_task["weight"].unstack("policy").mean(),
        "tasks": score.count(),
    })
    return table.sort_values("vs_baseline", ascending=False)


def choose_policy(summary: pd.DataFrame, policies: dict[str, tuple[str, LeaveLRPolicy]],
                  max_big_loss_share: float = 0.03, near_tie: float = 0.0005) -> str:
    """The rule fixed before the replay: among policies with at most 3% of tasks losing more
    than 0.02 to the baseline, the highest mean gain; near-ties (``near_tie``) go to the most
    cautious one, the one that leaves the baseline least (lowest mean weight of its proposal
    over the tasks), then to the higher threshold and the stronger prior."""
    allowed = summary.loc[[p for p in policies if p in summary.index]]
    allowed = allowed[allowed["big_losses"] <= max_big_loss_share * allowed["tasks"]]
    best = allowed["vs_baseline"].max()
    near = [p for p in allowed.index if allowed.loc[p, "vs_baseline"] >= best - near_tie]
    return min(near, key=lambda p: (allowed.loc[p, "mean_weight"], -policies[p][1].threshold,
                                    -policies[p][1].prior_strength))
