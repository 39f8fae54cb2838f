"""The verdict against the model to beat, in one plain sentence.

On small medical tables the plain logistic regression is very hard to beat,
so every honest estimate comes with the paired difference between the whole
procedure and that baseline on the same outer folds
(:func:`metamed.evaluation.intervals.paired_intervals`). This module turns
that difference into the sentence a clinician reads.
"""

from __future__ import annotations

from metamed.evaluation.intervals import Interval
from metamed.evaluation.scoring import Scorer
from metamed.kinds import Kind, kind_of


def difference_rows(comparison: dict[str, Interval], task_type: str) -> list[list[str]]:
    """The table beside the verdict: metric, difference and its 95% CI, as text."""
    scorer = Scorer(task_type)
    return [[scorer.label(name).split(" (")[0], f"{d.estimate:+.3f}",
             f"{d.low:+.3f} – {d.high:+.3f}"]
            for name in kind_of(task_type).comparison if (d := comparison.get(name))]


def verdict(comparison: dict[str, Interval], kind: Kind) -> str:
    """Whether the procedure beat the task's baseline (``kind``'s) on the primary metric,
    with the 95% CI, in words."""
    name, unit, baseline = kind.primary, kind.unit, kind.baseline_words
    gain = comparison[name]
    if gain.low == gain.high == 0:
        return f"the procedure chose {baseline} itself: there is no difference."
    span = f"{gain.estimate:+.3f} {unit}, 95% CI {gain.low:+.3f} to {gain.high:+.3f}"
    if gain.low > 0:
        return (f"beat {baseline} by {gain.estimate:.3f} {unit} ({gain.low:.3f} to "
                f"{gain.high:.3f}) on the same outer folds.")
    if gain.high < 0:
        return (f"worse than {baseline} on the same outer folds ({span}); {baseline} "
                "would have done better here.")
    return f"no better than {baseline} here ({span} on the same outer folds)."
