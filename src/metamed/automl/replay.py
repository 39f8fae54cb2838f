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

from metamed.automl.ensemble import caruana_weights
from metamed.automl.policy import LeaveLRPolicy, kb_prior, paired_evidence
from metamed.evaluation.metrics import calibration_slope_intercept, class_roc_auc
from metamed.knowledge.metadata import MetaData

#: Reference rows every replay reports beside the policies.
REFERENCES = ("always LR", "single best", "ungated ensemble", "ungated CV-best", "oracle")
PROPOSALS = ("ensemble", "best")


@dataclass(frozen=True)
class ReplayTask:
    """A held-out task's labels, its stored folds and its candidates' out-of-fold predictions."""

    task_id: str
    codes: np.ndarray
    folds: np.ndarray
    oof: dict[str, np.ndarray]
    baseline: str
    single_best: str


def replay_task(data: ReplayTask, visible: MetaData, metafeatures: np.ndarray,
                policies: dict[str, tuple[str, LeaveLRPolicy]], halves: int = 20,
                seed: int = 0) -> pd.DataFrame:
    """One row per (half, policy or reference): ROC AUC and calibration slope on the unseen half.

    ``policies`` maps a name to (proposal kind, policy); ``visible`` is the
    KB without this task and its family (the prior's source).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for half in range(halves):
        seen = _stratified_half(data.codes, rng)
        rows += [{"task": data.task_id, "half": half, **row}
                 for row in _replay_half(data, seen, visible, metafeatures, policies)]
    return pd.DataFrame(rows)


def _replay_half(data: ReplayTask, seen: np.ndarray, visible: MetaData,
                 metafeatures: np.ndarray, policies: dict) -> list[dict]:
    unseen = ~seen
    names = list(data.oof)
    lr = data.oof[data.baseline]
    proposals = {kind: _proposal(kind, data, seen, names) for kind in PROPOSALS}
    scored: dict[tuple[str, float], dict] = {}

    def score(kind: str, weight: float) -> dict:
        if (kind, weight) not in scored:
            blend = (1 - weight) * lr + weight * proposals[kind][1]
            scored[(kind, weight)] = _scores(data.codes[unseen], blend[unseen])
        return scored[(kind, weight)]

    rows = [{"policy": "always LR", **score("ensemble", 0.0)},
            {"policy": "single best", **_scores(data.codes[unseen],
                                                data.oof[data.single_best][unseen])},
            {"policy": "ungated ensemble", **score("ensemble", 1.0)},
            {"policy": "ungated CV-best", **score("best", 1.0)},
            {"policy": "oracle", **max((_scores(data.codes[unseen], data.oof[n][unseen])
                                        for n in names), key=lambda s: s["roc_auc"])}]
    evidence = {kind: _evidence(data, seen, proba) for kind, (_, proba) in proposals.items()}
    priors = {kind: kb_prior(visible, metafeatures, weights, data.baseline)
              for kind, (weights, _) in proposals.items()}
    for name, (kind, policy) in policies.items():
        weights = proposals[kind][0]
        if evidence[kind] is None or set(weights) == {data.baseline}:
            rows.append({"policy": name, **score(kind, 0.0), "weight": 0.0})
            continue
        decision = policy.decide(priors[kind], evidence[kind])
        rows.append({"policy": name, **score(kind, decision.weight), "weight": decision.weight})
    return rows


def _proposal(kind: str, data: ReplayTask, seen: np.ndarray,
              names: list[str]) -> tuple[dict[str, float], np.ndarray]:
    """The search's proposal on the seen half: config weights and its probabilities (all rows)."""
    if kind == "ensemble":
        weights = caruana_weights([data.oof[n][seen] for n in names], data.codes[seen])
    else:
        means = [np.nanmean(_fold_aucs(data, seen, data.oof[n])) for n in names]
        weights = np.eye(len(names))[int(np.argmax(means))]
    chosen = {n: float(w) for n, w in zip(names, weights, strict=True) if w > 0}
    return chosen, sum(w * data.oof[n] for n, w in chosen.items())


def _evidence(data: ReplayTask, seen: np.ndarray, proba: np.ndarray):
    """Paired evidence on the stored folds restricted to the seen rows (None if no fold works)."""
    parts = _seen_folds(data, seen)
    usable = [p for p in parts if len(np.unique(data.codes[p])) > 1]
    if len(usable) < 2:
        return None
    lr = data.oof[data.baseline]
    return paired_evidence([proba[p] for p in usable], [lr[p] for p in usable],
                           [data.codes[p] for p in usable], test_share=1 / len(parts))


def _fold_aucs(data: ReplayTask, seen: np.ndarray, proba: np.ndarray) -> list[float]:
    return [class_roc_auc(data.codes[p], proba[p]) if len(np.unique(data.codes[p])) > 1
            else np.nan for p in _seen_folds(data, seen)]


def _seen_folds(data: ReplayTask, seen: np.ndarray) -> list[np.ndarray]:
    """Each stored fold's test rows among the seen ones, as boolean masks."""
    return [seen & (data.folds == f) for f in np.unique(data.folds)]


def _scores(codes: np.ndarray, proba: np.ndarray) -> dict:
    slope = np.nan
    if proba.shape[1] == 2:
        slope, _ = calibration_slope_intercept(codes == 1, proba[:, 1])
    return {"roc_auc": class_roc_auc(codes, proba), "calibration_slope": slope}


def _stratified_half(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random half of the rows of every class (at least one seen and one unseen row each)."""
    seen = np.zeros(len(codes), dtype=bool)
    for k in np.unique(codes):
        members = rng.permutation(np.flatnonzero(codes == k))
        take = min(max(1, len(members) // 2), len(members) - 1) if len(members) > 1 else 0
        seen[members[:take]] = True
    return seen


def summarize_replay(rows: pd.DataFrame, tie: float = 0.005, big_loss: float = 0.02
                     ) -> pd.DataFrame:
    """Per policy: mean AUC, mean difference from LR with a 95% CI over tasks, W/T/L, big losses,
    median calibration slope. Each task counts once (its mean over halves)."""
    per_task = rows.groupby(["policy", "task"])[["roc_auc", "calibration_slope"]].mean()
    auc = per_task["roc_auc"].unstack("policy")
    delta = auc.sub(auc["always LR"], axis=0)
    n = len(auc)
    half_width = 1.96 * delta.std(ddof=1) / np.sqrt(n)
    table = pd.DataFrame({
        "mean_roc_auc": auc.mean(),
        "vs_lr": delta.mean(),
        "ci_low": delta.mean() - half_width,
        "ci_high": delta.mean() + half_width,
        "wins": (delta > tie).sum(),
        "ties": (delta.abs() <= tie).sum(),
        "losses": (delta < -tie).sum(),
        "big_losses": (delta < -big_loss).sum(),
        "median_slope": per_task["calibration_slope"].unstack("policy").median(),
        "tasks": auc.count(),
    })
    return table.sort_values("vs_lr", ascending=False)


def choose_policy(summary: pd.DataFrame, policies: dict[str, tuple[str, LeaveLRPolicy]],
                  max_big_loss_share: float = 0.03) -> str:
    """The rule fixed before the replay: among policies with at most 3% of tasks losing more
    than 0.02 to LR, the highest mean gain; near-ties (0.0005) go to the more cautious one
    (higher threshold, then stronger prior)."""
    allowed = summary.loc[[p for p in policies if p in summary.index]]
    allowed = allowed[allowed["big_losses"] <= max_big_loss_share * allowed["tasks"]]
    best = allowed["vs_lr"].max()
    near = [p for p in allowed.index if allowed.loc[p, "vs_lr"] >= best - 0.0005]
    return max(near, key=lambda p: (policies[p][1].threshold, policies[p][1].prior_strength))
