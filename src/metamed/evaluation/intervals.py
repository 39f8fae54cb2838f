"""Bootstrap confidence intervals for the clinical metrics (of either task type).

Patients (or, with repeated measures, whole groups) are resampled with
replacement and every metric is recomputed on the out-of-fold predictions;
the 2.5th and 97.5th percentiles bound the 95% interval. With repeated CV,
bootstrap sample ``b`` uses repeat ``b mod R``, so the interval reflects
both patient sampling and split-to-split variation at the cost of one
metric computation per sample.

Large tables: a resample of every row recomputes every metric on every row,
which on 200,000 rows costs far more than fitting the model. Above
:data:`MAX_RESAMPLED` rows (or groups) each resample draws that many
(the m-out-of-n bootstrap, Bickel, Götze & van Zwet 1997), and the spread of
the draws around the estimate is shrunk by ``sqrt(m / n)``: the metrics are
asymptotically normal at rate ``sqrt(n)``, and at these sizes the
approximation is far finer than the intervals' own Monte Carlo error.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from metamed.clock import work_seconds
from metamed.evaluation.scoring import Scorer

#: Above this many rows (or groups) a resample draws only this many, rescaled.
MAX_RESAMPLED = 5_000


#: Rows x scored classes x resamples one bootstrap computes at most: every
#: class of a multiclass target is scored one-vs-rest in every resample.
MAX_BOOT_WORK = 10_000_000
#: Resamples never drop below this (the 2.5th percentile needs a few in its tail).
MIN_BOOT = 200


def resampled_units(n_units: int) -> int:
    """Rows (or groups) drawn per resample from ``n_units``."""
    return min(n_units, MAX_RESAMPLED)


def resamples(n_rows: int, n_classes: int, n_boot: int) -> int:
    """Resamples drawn when ``n_boot`` are asked for (fewer for many classes, never < 200)."""
    scored = 1 if n_classes == 2 else n_classes
    affordable = MAX_BOOT_WORK // max(1, resampled_units(n_rows) * scored)
    return min(n_boot, max(MIN_BOOT, affordable))


def expected_seconds(target: np.ndarray, n_columns: int, scorer: Scorer,
                     n_boot: int = 1000) -> float:
    """Time :func:`bootstrap_intervals` will take, from one metric computation timed here.

    ``n_columns`` is the number of classes (1 for a regression). Lets a
    time-budgeted fit set this time aside before it searches.
    """
    rows = target[: resampled_units(len(target))]
    flat = np.full((len(rows), n_columns), 1 / n_columns)
    started = work_seconds()
    _metric_vector(rows, flat, scorer)
    return (work_seconds() - started) * resamples(len(target), n_columns, n_boot)


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval."""

    estimate: float
    low: float
    high: float


def bootstrap_intervals(
    target: np.ndarray,
    proba_by_repeat: np.ndarray,
    scorer: Scorer,
    groups: np.ndarray | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Point estimates (mean over repeats) and percentile bootstrap intervals.

    Parameters
    ----------
    target : array of shape (n,)
        True class indices, or the true values of a regression.
    proba_by_repeat : array of shape (R, n, K)
        Out-of-fold probabilities of each CV repeat (K = 1: predicted values).
    scorer : Scorer
        The metrics of the task's type.
    groups : array of shape (n,), optional
        Cluster labels; whole clusters are resampled.
    """
    per_repeat = [scorer(target, p) for p in proba_by_repeat]
    estimates = np.array([np.mean([r[m] for r in per_repeat]) for m in scorer.names])

    def statistic(b: int, idx: np.ndarray) -> list[float]:
        return _metric_vector(target[idx], proba_by_repeat[b % len(proba_by_repeat)][idx],
                              scorer)

    n_boot = resamples(len(target), proba_by_repeat.shape[2], n_boot)
    return _percentile_intervals(statistic, estimates, len(target), groups, n_boot, level, seed,
                                 scorer.names)


def paired_intervals(
    target: np.ndarray,
    proba: np.ndarray,
    baseline: np.ndarray,
    scorer: Scorer,
    groups: np.ndarray | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Each metric of ``proba`` minus the same metric of ``baseline``, with a paired CI.

    Both sets of predictions are for the same rows, so every resample
    scores both on the same patients: the interval is that of the
    difference, much narrower than two separate intervals would suggest.
    """
    def statistic(_: int, idx: np.ndarray) -> np.ndarray:
        return (np.array(_metric_vector(target[idx], proba[idx], scorer))
                - np.array(_metric_vector(target[idx], baseline[idx], scorer)))

    everyone = np.arange(len(target))
    estimates = statistic(0, everyone)
    if np.array_equal(proba, baseline):  # every resample's difference is this one: no spread
        return {name: Interval(float(e), float(e), float(e))
                for name, e in zip(scorer.names, estimates, strict=True)}
    n_boot = resamples(len(target), proba.shape[1], n_boot)
    return _percentile_intervals(statistic, estimates, len(target), groups, n_boot, level, seed,
                                 scorer.names)


def _percentile_intervals(statistic, estimates: np.ndarray, n: int, groups: np.ndarray | None,
                          n_boot: int, level: float, seed: int,
                          names: tuple[str, ...]) -> dict[str, Interval]:
    """Each metric's estimate with the percentile bounds of ``statistic`` over resamples,
    rescaled when resamples are smaller than the table."""
    units, samples = _resample_indices(n, groups, n_boot, seed)
    draws = np.array([statistic(b, idx) for b, idx in enumerate(samples)])
    tail = (1 - level) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(draws, [tail, 100 - tail], axis=0)
    shrink = np.sqrt(resampled_units(units) / units)
    low, high = estimates + shrink * (low - estimates), estimates + shrink * (high - estimates)
    return {m: Interval(float(estimates[i]), float(low[i]), float(high[i]))
            for i, m in enumerate(names)}


def _metric_vector(target: np.ndarray, proba: np.ndarray, scorer: Scorer) -> list[float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = scorer(target, proba)
    return [values[m] for m in scorer.names]


def _resample_indices(
    n: int, groups: np.ndarray | None, n_boot: int, seed: int
) -> tuple[int, Iterator[np.ndarray]]:
    """How many units (rows or groups) there are, and each resample's row indices.

    Resamples are drawn one at a time: all at once would be n x n_boot integers.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        m = resampled_units(n)
        return n, (rng.integers(0, n, m) for _ in range(n_boot))
    _, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    members = np.argsort(inverse, kind="stable")  # each group's rows, group after group
    starts = np.cumsum(sizes) - sizes
    m = resampled_units(len(sizes))
    picks = (rng.integers(0, len(sizes), m) for _ in range(n_boot))
    return len(sizes), (_rows_of(pick, members, starts, sizes) for pick in picks)


def _rows_of(pick: np.ndarray, members: np.ndarray, starts: np.ndarray,
             sizes: np.ndarray) -> np.ndarray:
    """The rows of the groups ``pick``, one group after another (vectorised: most groups of
    identical rows hold one row, and a loop over 5,000 of them per resample is slow)."""
    counts = sizes[pick]
    ends = np.cumsum(counts)
    offsets = np.arange(ends[-1]) - np.repeat(ends - counts, counts)
    return members[np.repeat(starts[pick], counts) + offsets]
