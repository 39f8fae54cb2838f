"""Nearest tasks (warm start): do what worked best on the most similar known tasks."""

from __future__ import annotations

import numpy as np

from metamed.knowledge.metadata import MetaData
from metamed.learners.base import MetaLearner, Recommendation
from metamed.learners.similarity import TaskSpace, config_ranks, neighbour_rationale


class NearestTasks(MetaLearner):
    """Rank configs by their similarity-weighted normalised score on the k nearest tasks.

    Parameters
    ----------
    k : int
        Number of neighbouring tasks that vote.

    Attributes
    ----------
    space_ : TaskSpace
    normalized_ : array (tasks x configs), 0 = worst config of the task, 1 = best
    ranks_ : array (tasks x configs), 1 = best
    """

    def __init__(self, k: int = 5) -> None:
        self.k = k

    def _fit(self, metadata: MetaData) -> None:
        self.space_ = TaskSpace(metadata.metafeatures)
        self.normalized_ = metadata.normalized_scores()
        self.ranks_ = config_ranks(metadata.scores)

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        similarity = self.space_.similarities(metafeatures)
        neighbours = np.argsort(-similarity, kind="stable")[: self.k]
        weights = similarity[neighbours] / similarity[neighbours].sum()
        votes = weights @ self.normalized_[neighbours]
        auc = self._expected(neighbours, weights)
        best = np.argsort(-votes, kind="stable")[:n]
        return [
            self._recommendation(
                c, auc[c],
                neighbour_rationale(self.metadata_, neighbours, similarity, self.ranks_, c),
            )
            for c in best
        ]
