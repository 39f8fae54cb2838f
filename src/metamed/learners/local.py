"""Local portfolio: a greedy portfolio built for the new task on its nearest known tasks.

The search on a new task tries several configs and keeps the best, so what
matters is the best config *in the set*, not the first one. Nearest-task
voting ranks configs one by one and tends to recommend near-copies of one
good model; the global greedy portfolio covers many tasks but ignores what
the new task looks like. This learner does both: the greedy cover of
:mod:`metamed.learners.greedy`, restricted to the ``k`` most similar known
tasks and weighted by similarity. How many neighbours to trust is itself
learned, by leave-one-task-out over the known tasks only, so a held-out
benchmark task never influences it.
"""

from __future__ import annotations

import numpy as np

from metamed.errors import MetamedError
from metamed.knowledge.metadata import MetaData
from metamed.learners.base import MetaLearner, Recommendation
from metamed.learners.greedy import greedy_cover
from metamed.learners.recommendation import N_CANDIDATES
from metamed.learners.similarity import TaskSpace, config_ranks, neighbour_rationale

#: Neighbourhood sizes tried when ``k`` is learned.
K_CHOICES = (5, 10, 20, 40)
#: Neighbours named in a rationale (the full list would not be read).
NAMED = 3


class LocalPortfolio(MetaLearner):
    """Recommend a similarity-weighted greedy portfolio over the nearest known tasks.

    Parameters
    ----------
    k : int or None
        Number of neighbouring tasks; ``None`` learns it from :data:`K_CHOICES`
        by leave-one-task-out on the known tasks. (The meta-feature scaling
        used there is fitted on all known tasks, the inner held-out one
        included: a median and an IQR, a negligible leak.)
    size : int
        Portfolio size at which ``k`` is judged: the default search's
        candidate count. ``recommend`` may still be asked for any ``n``.

    Attributes
    ----------
    k_ : int
        Neighbourhood size in use.
    space_ : TaskSpace
    normalized_ : array (tasks x configs), 0 = worst config of the task, 1 = best
    ranks_ : array (tasks x configs), 1 = best
    """

    def __init__(self, k: int | None = None, size: int = N_CANDIDATES) -> None:
        self.k = k
        self.size = size

    def _fit(self, metadata: MetaData) -> None:
        self.space_ = TaskSpace(metadata.metafeatures)
        self.normalized_ = metadata.normalized_scores()
        self.ranks_ = config_ranks(metadata.scores)
        if self.k is not None and self.k < 1:
            raise MetamedError(f"k must be at least 1 or None, got {self.k}.")
        self.k_ = self.k if self.k is not None else self._learn_k(metadata)

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        similarity = self.space_.similarities(metafeatures)
        neighbours, order = self._portfolio(similarity, np.ones(len(similarity), bool), n,
                                            self.k_)
        weights = similarity[neighbours] / similarity[neighbours].sum()
        auc = self._expected(neighbours, weights)
        return [
            self._recommendation(
                c, auc[c],
                neighbour_rationale(self.metadata_, neighbours[:NAMED], similarity,
                                    self.ranks_, c)
                + f"; slot {slot + 1} of a portfolio covering the {len(neighbours)} most "
                "similar known tasks",
            )
            for slot, c in enumerate(order)
        ]

    def _portfolio(self, similarity: np.ndarray, visible: np.ndarray, n: int,
                   k: int) -> tuple[np.ndarray, list[int]]:
        """The ``k`` most similar visible tasks and the greedy cover of ``n`` configs on them."""
        ranked = np.argsort(-similarity, kind="stable")
        neighbours = ranked[visible[ranked]][:k]
        order, _ = greedy_cover(self.normalized_[neighbours], n, similarity[neighbours])
        return neighbours, order

    def _learn_k(self, metadata: MetaData) -> int:
        """The ``k`` whose portfolios reach the best score on each known task held out."""
        families = np.array(metadata.families)
        reached = np.zeros(len(K_CHOICES))
        for t in range(len(metadata.task_ids)):
            visible = np.arange(len(families)) != t
            if families[t]:
                visible &= families != families[t]
            if not visible.any():
                continue
            similarity = self.space_.similarities(metadata.metafeatures[t])
            for i, k in enumerate(K_CHOICES):
                _, order = self._portfolio(similarity, visible, self.size, k)
                reached[i] += self.normalized_[t, order].max()
        return K_CHOICES[int(np.argmax(reached))]
