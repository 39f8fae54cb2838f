"""Greedy portfolio: a task-independent list that covers the known tasks best.

Starting from nothing, repeatedly add the config that most raises the
average over meta-train tasks of the best normalised score reached so far
(as in auto-sklearn 2.0's portfolio building). The first config is the
single best; later ones cover the tasks where it is weak.
"""

from __future__ import annotations

import numpy as np

from metamed.knowledge.metadata import MetaData
from metamed.learners.base import MetaLearner, Recommendation, mean_scores


class GreedyPortfolio(MetaLearner):
    """Recommend the first ``n`` configs of a greedily built portfolio.

    Attributes
    ----------
    order_ : list of int
        Config indices in the order the greedy procedure added them.
    coverage_ : list of float
        Mean best-so-far normalised score after each addition.
    """

    def __init__(self, max_size: int = 25) -> None:
        self.max_size = max_size

    def _fit(self, metadata: MetaData) -> None:
        self.order_, self.coverage_ = greedy_cover(metadata.normalized_scores(), self.max_size)
        self.mean_auc_ = mean_scores(metadata)

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        n_tasks = len(self.metadata_.task_ids)
        return [
            self._recommendation(
                c, self.mean_auc_[c],
                f"greedy portfolio slot {slot + 1}: with slots 1-{slot + 1} the best config "
                f"reaches {self.coverage_[slot]:.0%} of the achievable score, averaged over "
                f"{n_tasks} known tasks",
            )
            for slot, c in enumerate(self.order_[:n])
        ]


def greedy_cover(normalized: np.ndarray, size: int,
                 weights: np.ndarray | None = None) -> tuple[list[int], list[float]]:
    """Configs added one at a time, each raising the (weighted) mean best-so-far the most.

    Returns the config indices in order and the weighted mean best-so-far
    normalised score after each addition. Once every task is covered
    (all gains tie at 1), ties go to the config with the best weighted mean
    score rather than to the lowest index.
    """
    n_tasks, n_configs = normalized.shape
    weights = np.full(n_tasks, 1.0) if weights is None else np.asarray(weights, dtype=float)
    weights = weights / weights.sum()
    best_so_far = np.zeros(n_tasks)
    mean = weights @ normalized
    order, coverage = [], []
    for _ in range(min(size, n_configs)):
        gains = weights @ np.maximum(normalized, best_so_far[:, None])
        gains[order] = -np.inf
        chosen = int(np.lexsort((-mean, -gains))[0])
        order.append(chosen)
        coverage.append(float(gains[chosen]))
        best_so_far = np.maximum(best_so_far, normalized[:, chosen])
    return order, coverage
