"""What the leave-the-baseline policy concluded (:mod:`metamed.automl.policy`).

Its own module because every model file holds one: loading a model reads
this record without importing the policy's knowledge-base machinery.
"""

from __future__ import annotations

from dataclasses import dataclass

from metamed.kinds import kind_of


@dataclass(frozen=True)
class Decision:
    """What the policy concluded; ``weight`` is the proposal's share of the final model."""

    probability: float
    posterior_mean: float
    posterior_sd: float
    evidence_mean: float
    evidence_se: float
    prior_mean: float
    prior_sd: float
    prior_share_won: float
    prior_strength: float
    threshold: float
    weight: float
    task_type: str
    #: The baseline in words ("SVR on ECFP4"); empty in model files written before it was
    #: recorded, whose baseline was always their type's own.
    baseline: str = ""

    def sentence(self) -> str:
        """The decision in words, with its numbers."""
        kind = kind_of(self.task_type)
        baseline, unit = self.baseline or kind.baseline_brief, kind.unit
        known = (f"similar known tasks: {self.prior_mean:+.3f}, won on "
                 f"{self.prior_share_won:.0%}{'' if self.prior_strength else ', not weighed'}")
        odds = (f"P(real gain over {baseline}) = {self.probability:.2f} (this table: "
                f"{self.evidence_mean:+.3f} {unit} over the CV folds, SE "
                f"{self.evidence_se:.3f}; {known})")
        if self.weight == 0:
            return (f"{baseline} kept: {odds}, too little to leave it (threshold "
                    f"{self.threshold:.2f}).")
        if self.weight == 1:
            return f"{baseline} left: {odds}."
        return f"blended with {baseline} at weight {1 - self.weight:.2f}: {odds}."
