"""The verdict against the model to beat, in one plain sentence.

On small medical tables the plain logistic regression is very hard to beat,
so every honest estimate comes with the paired difference between the whole
procedure and that baseline on the same outer folds
(:func:`metamed.evaluation.intervals.paired_intervals`). This module turns
that difference into the sentence a clinician reads.
"""

from __future__ import annotations

from metamed.evaluation.intervals import Interval

#: The differences shown beside the verdict: discrimination, accuracy of risks, calibration.
BASELINE_METRICS = ("roc_auc", "brier", "calibration_slope")
BASELINE_NAME = "logistic regression"


def verdict(comparison: dict[str, Interval]) -> str:
    """Whether the procedure beat the baseline on ROC AUC, with the 95% CI, in words."""
    auc = comparison["roc_auc"]
    if auc.low == auc.high == 0:
        return f"the procedure chose plain {BASELINE_NAME} itself: there is no difference."
    span = f"{auc.estimate:+.3f} AUC, 95% CI {auc.low:+.3f} to {auc.high:+.3f}"
    if auc.low > 0:
        return (f"beat {BASELINE_NAME} by {auc.estimate:.3f} AUC ({auc.low:.3f} to "
                f"{auc.high:.3f}) on the same outer folds.")
    if auc.high < 0:
        return (f"worse than {BASELINE_NAME} on the same outer folds ({span}); plain "
                f"{BASELINE_NAME} would have done better here.")
    return f"no better than {BASELINE_NAME} here ({span} on the same outer folds)."
