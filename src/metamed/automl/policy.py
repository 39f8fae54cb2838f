"""When to leave the logistic regression: a prior from the KB, the evidence of this table.

On a few hundred rows the cross-validation winner among nine candidates
is mostly noise, and on small medical tables plain logistic regression
(LR) is hard to beat. So the search's proposal (its greedy ensemble, or
its best pipeline) replaces LR only when a real gain is probable:

* **Prior** — on the known tasks most like this one (size, width, class
  balance, linear signal), the proposal's configs scored
  ``g_t = sum_c w_c AUC_t(c) - AUC_t(LR)`` in the KB. Their similarity-
  weighted mean and spread give ``gain ~ N(mu0, sd0^2)``.
* **Evidence** — fold-by-fold paired differences ``d_f`` between the
  proposal and LR on this table's search folds; their mean ``d`` has the
  Nadeau-Bengio standard error ``se^2 = (1/k + n_test/n_train) s^2``,
  which counts the overlap of CV training sets.
* **Posterior** — with prior weight ``kappa``: precision
  ``kappa/sd0^2 + 1/se^2``, mean ``(kappa mu0/sd0^2 + d/se^2) / precision``,
  and ``P = Phi(mean / sd)``, the probability that the gain is real.

If ``P`` is below the threshold, LR is kept alone; otherwise the final
model is ``(1 - w) LR + w proposal``, with ``w`` 1 (``full``), 1/2
(``half``) or ``2P - 1`` (``shrink``: the ensemble leans on LR as much as
the evidence is doubtful). Threshold, prior weight and weighting were
chosen by replaying stored predictions on the development half of the
corpus tasks (``benchmarks/replay.py``; docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from metamed.automl.decision import Decision
from metamed.errors import MetamedError
from metamed.evaluation.scoring import Scorer
from metamed.kinds import Kind, meta_kind
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.metafeatures import METAFEATURE_NAMES
from metamed.learners.similarity import TaskSpace

#: What "tasks like this one" means for the prior: size, width, class balance, linear signal.
PRIOR_FEATURES = ("log_rows", "log_features", "minority_share", "landmark_linear")
#: Known tasks the prior is taken from (the most similar ones).
PRIOR_TASKS = 20
#: Floor of the prior's spread, so a few agreeing neighbours cannot make it a certainty.
MIN_PRIOR_SD = 0.005
WEIGHTINGS = ("full", "half", "shrink")


@dataclass(frozen=True)
class Prior:
    """The proposal's gain over LR on similar known tasks: mean, spread, share of wins."""

    mean: float
    sd: float
    share_won: float
    n_tasks: int


@dataclass(frozen=True)
class Evidence:
    """Paired fold differences (proposal minus LR) on this table's search folds."""

    differences: np.ndarray
    test_share: float

    @property
    def mean(self) -> float:
        return float(np.mean(self.differences))

    @property
    def se(self) -> float:
        """Nadeau-Bengio corrected standard error of the mean difference."""
        k = len(self.differences)
        variance = np.var(self.differences, ddof=1) if k > 1 else np.inf
        return float(np.sqrt((1 / k + self.test_share / (1 - self.test_share)) * variance))


@dataclass(frozen=True)
class LeaveLRPolicy:
    """The rule of the module docstring, with its three settings."""

    threshold: float = 0.8
    prior_strength: float = 1.0
    weighting: str = "shrink"

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise MetamedError(f"unknown weighting {self.weighting!r}; use one of {WEIGHTINGS}.")

    def decide(self, prior: Prior, evidence: Evidence, kind: Kind) -> Decision:
        """Posterior probability of a real gain, and the proposal's weight in the final model."""
        prior_precision = self.prior_strength / prior.sd**2
        evidence_precision = 1 / evidence.se**2 if evidence.se > 0 else np.inf
        if np.isinf(evidence_precision):
            mean, sd = evidence.mean, 0.0
        elif prior_precision + evidence_precision == 0:  # one fold and no prior: nothing known
            mean, sd = 0.0, np.inf
        else:
            precision = prior_precision + evidence_precision
            mean = (prior_precision * prior.mean + evidence_precision * evidence.mean) / precision
            sd = float(np.sqrt(1 / precision))
        probability = float(norm.cdf(mean / sd)) if 0 < sd < np.inf else (
            0.5 if sd == np.inf else float(mean > 0))
        return Decision(probability, float(mean), sd, evidence.mean, evidence.se, prior.mean,
                        prior.sd, prior.share_won, self.prior_strength, self.threshold,
                        self._weight(probability), kind.name, kind.baseline_brief)

    def _weight(self, probability: float) -> float:
        if probability < self.threshold:
            return 0.0
        return {"full": 1.0, "half": 0.5, "shrink": 2 * probability - 1}[self.weighting]


def kb_prior(metadata: MetaData, metafeatures: np.ndarray, proposal: dict[str, float],
             baseline: str) -> Prior:
    """The gain of ``proposal`` (config hash to weight) over ``baseline`` on similar known tasks.

    A config the KB lacks contributes nothing; without the baseline or any
    proposed config in the KB there is no prior (a zero-mean, wide one).
    """
    if baseline not in metadata.config_hashes or not metadata.task_ids:
        return Prior(0.0, 1.0, 0.5, 0)
    columns = [metadata.config_hashes.index(h) for h in proposal if h in metadata.config_hashes]
    if not columns:
        return Prior(0.0, 1.0, 0.5, 0)
    weights = np.array([proposal[metadata.config_hashes[c]] for c in columns])
    scores = metadata.filled_scores()
    gains = scores[:, columns] @ (weights / weights.sum()) - scores[
        :, metadata.config_hashes.index(baseline)]
    picked = [METAFEATURE_NAMES.index(name) for name in PRIOR_FEATURES]
    similarity = TaskSpace(metadata.metafeatures[:, picked]).similarities(metafeatures[picked])
    nearest = np.argsort(-similarity, kind="stable")[:PRIOR_TASKS]
    w = similarity[nearest] / similarity[nearest].sum()
    mean = float(w @ gains[nearest])
    sd = float(np.sqrt(w @ (gains[nearest] - mean) ** 2))
    return Prior(mean, max(sd, MIN_PRIOR_SD), float(w @ (gains[nearest] > 0)), len(nearest))


def paired_evidence(proposal: list[np.ndarray], baseline: list[np.ndarray],
                    targets: list[np.ndarray], test_share: float,
                    scorer: Scorer) -> Evidence:
    """Per-fold differences in the scorer's primary metric from each fold's test
    predictions and targets.

    Folds whose test rows hold a single class (no AUC) or one value (no R²) are skipped.
    """
    differences = [scorer.primary_score(y, p) - scorer.primary_score(y, b)
                   for p, b, y in zip(proposal, baseline, targets, strict=True)
                   if len(np.unique(y)) > 1]
    if not differences:
        raise MetamedError("no CV fold holds two different outcomes: the paired comparison "
                           "with the baseline has no evidence.")
    return Evidence(np.asarray(differences), test_share)


def default_policy(task_type: str | Kind) -> LeaveLRPolicy:
    """``fit``'s policy for a kind (a task type, "molecules"...): the settings its record holds
    (:mod:`metamed.kinds`, where why they were chosen is written)."""
    return LeaveLRPolicy(**meta_kind(task_type).policy)
