"""Performance prediction: a model of (task meta-features, config settings) -> score.

One regression over every (known task, config) pair predicts the config's
normalised score (0 = worst, 1 = best config on that task); a new task's
configs are ranked by prediction. Unlike nearest tasks it can share what it
learns about a setting (say, strong regularisation on tiny tables) across
configs and tasks.
"""

from __future__ import annotations

import numpy as np
from lightgbm import LGBMRegressor
from sklearn.feature_extraction import DictVectorizer

from metamed.knowledge.metadata import MetaData
from metamed.learners.base import MetaLearner, Recommendation
from metamed.learners.similarity import TaskSpace, config_ranks, neighbour_rationale


def config_features(config: dict) -> dict[str, float]:
    """Flatten a config: numbers as they are, every other setting one-hot."""
    flat: dict[str, float] = {}
    for step, params in config.items():
        for key, value in params.items():
            name = f"{step}.{key}"
            if isinstance(value, bool) or not isinstance(value, int | float):
                flat[f"{name}={value}"] = 1.0
            else:
                flat[name] = float(value)
    return flat


class PerformanceRanker(MetaLearner):
    """Gradient-boosted regression of normalised score on meta-features and config settings.

    Attributes
    ----------
    model_ : LGBMRegressor
    vectorizer_ : DictVectorizer
        Config settings to columns.
    """

    def __init__(self, n_estimators: int = 300, k_context: int = 3, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.k_context = k_context
        self.seed = seed

    def _fit(self, metadata: MetaData) -> None:
        self.vectorizer_ = DictVectorizer(sparse=False)
        self.config_matrix_ = self.vectorizer_.fit_transform(
            [config_features(c) for c in metadata.configs])
        self.space_ = TaskSpace(metadata.metafeatures)
        self.ranks_ = config_ranks(metadata.scores)
        n_tasks, n_configs = metadata.scores.shape
        rows = np.hstack([np.repeat(self.space_.known, n_configs, axis=0),
                          np.tile(self.config_matrix_, (n_tasks, 1))])
        self.model_ = LGBMRegressor(n_estimators=self.n_estimators, learning_rate=0.05,
                                    num_leaves=31, min_child_samples=20, subsample=0.8,
                                    subsample_freq=1, colsample_bytree=0.8,
                                    random_state=self.seed, n_jobs=1, verbose=-1)
        self.model_.fit(rows, metadata.normalized_scores().ravel())

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        task_row = self.space_.transform(metafeatures)
        rows = np.hstack([np.repeat(task_row[None, :], len(self.config_matrix_), axis=0),
                          self.config_matrix_])
        predicted = self.model_.predict(rows)
        similarity = self.space_.similarities(metafeatures)
        context = np.argsort(-similarity, kind="stable")[: self.k_context]
        weights = similarity[context] / similarity[context].sum()
        auc = self._expected(context, weights)
        best = np.argsort(-predicted, kind="stable")[:n]
        return [
            self._recommendation(
                c, auc[c],
                f"predicted {predicted[c]:.0%} of the achievable score from the task's "
                f"meta-features and the config's settings; for context, "
                + neighbour_rationale(self.metadata_, context, similarity, self.ranks_, c),
            )
            for c in best
        ]
