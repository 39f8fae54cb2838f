"""Bootstrap confidence intervals for the clinical metrics.

Patients (or, with repeated measures, whole groups) are resampled with
replacement and every metric is recomputed on the out-of-fold predictions;
the 2.5th and 97.5th percentiles bound the 95% interval. With repeated CV,
bootstrap sample ``b`` uses repeat ``b mod R``, so the interval reflects
both patient sampling and split-to-split variation at the cost of one
metric computation per sample.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from metamed.evaluation.metrics import METRIC_NAMES, all_metrics

#: Rows x resamples one bootstrap computes at most: on large tables the
#: intervals are narrow, and 1,000 resamples of every row would cost far more
#: than fitting the model (each resample recomputes every metric).
MAX_BOOT_WORK = 40_000_000
#: Resamples never drop below this, however large the table.
MIN_BOOT = 200


def resamples(n_rows: int, n_boot: int) -> int:
    """How many resamples a bootstrap of ``n_rows`` rows draws when ``n_boot`` are asked for."""
    return min(n_boot, max(MIN_BOOT, MAX_BOOT_WORK // max(n_rows, 1)))


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval."""

    estimate: float
    low: float
    high: float


def bootstrap_intervals(
    codes: np.ndarray,
    proba_by_repeat: np.ndarray,
    positive: int | None,
    groups: np.ndarray | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Point estimates (mean over repeats) and percentile bootstrap intervals.

    Parameters
    ----------
    codes : array of shape (n,)
        True class indices.
    proba_by_repeat : array of shape (R, n, K)
        Out-of-fold probabilities of each CV repeat.
    positive : int or None
        Index of the positive class for binary tasks.
    groups : array of shape (n,), optional
        Cluster labels; whole clusters are resampled.
    """
    per_repeat = [all_metrics(codes, p, positive) for p in proba_by_repeat]
    estimates = {m: float(np.mean([r[m] for r in per_repeat])) for m in METRIC_NAMES}
    samples = _resample_indices(len(codes), groups, resamples(len(codes), n_boot), seed)
    draws = np.array(
        [
            _metric_vector(codes[idx], proba_by_repeat[b % len(proba_by_repeat)][idx], positive)
            for b, idx in enumerate(samples)
        ]
    )
    tail = (1 - level) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(draws, [tail, 100 - tail], axis=0)
    return {
        m: Interval(estimates[m], float(low[i]), float(high[i]))
        for i, m in enumerate(METRIC_NAMES)
    }


def _metric_vector(codes: np.ndarray, proba: np.ndarray, positive: int | None) -> list[float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = all_metrics(codes, proba, positive)
    return [values[m] for m in METRIC_NAMES]


def _resample_indices(
    n: int, groups: np.ndarray | None, n_boot: int, seed: int
) -> Iterator[np.ndarray]:
    """Row indices of each resample, drawn one at a time (all at once is n x n_boot integers)."""
    rng = np.random.default_rng(seed)
    if groups is None:
        yield from (rng.integers(0, n, n) for _ in range(n_boot))
        return
    labels, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(labels))]
    for _ in range(n_boot):
        pick = rng.integers(0, len(labels), len(labels))
        yield np.concatenate([members[g] for g in pick])
