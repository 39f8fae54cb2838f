"""The meta-learner interface: ``fit(metadata)``, ``recommend(task, n)``.

Like Optuna's samplers, meta-learners are small swappable objects; like
scikit-learn estimators, ``__init__`` only stores settings and what is
learned ends in an underscore. Every recommendation carries a rationale a
clinician or reviewer can read.
"""

from __future__ import annotations

import abc

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from metamed.data.task import Task
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.metafeatures import compute_metafeatures
from metamed.learners.recommendation import Recommendation


class MetaLearner(BaseEstimator, abc.ABC):
    """Learns from a knowledge base which configs to try first on a new task."""

    def fit(self, metadata: MetaData) -> MetaLearner:
        """Learn from the meta-training tasks; returns ``self``."""
        self.metadata_ = metadata
        self._fit(metadata)
        return self

    def _expected(self, tasks: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each config's ``weights``-averaged score on the known ``tasks`` (what the user is
        shown as expected): a config that failed on a task counts as that task's worst."""
        return weights @ self.metadata_.filled_scores()[tasks]

    def recommend(self, task: Task | np.ndarray, n: int = 5) -> list[Recommendation]:
        """The ``n`` best configs for ``task`` (a Task or its meta-feature vector), best first."""
        check_is_fitted(self, "metadata_")
        vector = task if isinstance(task, np.ndarray) else compute_metafeatures(task)
        return self._recommend(np.asarray(vector, dtype=float), n)

    @abc.abstractmethod
    def _fit(self, metadata: MetaData) -> None: ...

    @abc.abstractmethod
    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]: ...

    def _recommendation(self, index: int, expected: float, rationale: str) -> Recommendation:
        return Recommendation(
            config=self.metadata_.configs[index],
            config_hash=self.metadata_.config_hashes[index],
            expected_score=float(expected),
            rationale=rationale,
        )


def mean_scores(metadata: MetaData) -> np.ndarray:
    """Each config's mean score (ROC AUC, or R²) over tasks; a failure counts as the task's
    worst."""
    return metadata.filled_scores().mean(axis=0)
