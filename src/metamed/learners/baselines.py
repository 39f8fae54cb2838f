"""Baselines every meta-learner must beat to be worth its complexity."""

from __future__ import annotations

import numpy as np

from metamed.kinds import (
    CLASSIFICATION,
    MOLECULAR_CLASSIFICATION,
    MOLECULAR_REGRESSION,
    REGRESSION,
    SURVIVAL,
    meta_kind,
)
from metamed.knowledge.metadata import MetaData
from metamed.learners.base import MetaLearner, Recommendation, mean_scores
from metamed.space import config_hash, named_config
from metamed.space.families import families_for
from metamed.space.portfolio import molecular_portfolio


class SingleBest(MetaLearner):
    """The configs with the best mean normalised score on the known tasks, for every task."""

    def _fit(self, metadata: MetaData) -> None:
        self.mean_normalized_ = metadata.normalized_scores().mean(axis=0)
        self.mean_auc_ = mean_scores(metadata)

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        best = np.argsort(-self.mean_normalized_, kind="stable")[:n]
        return [
            self._recommendation(
                c, self.mean_auc_[c],
                f"best on average over {len(self.metadata_.task_ids)} known tasks "
                f"({self.mean_normalized_[c]:.0%} of the achievable score), whatever the task",
            )
            for c in best
        ]


class RandomConfigs(MetaLearner):
    """Configs drawn at random from the portfolio (seeded): the no-knowledge baseline."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def _fit(self, metadata: MetaData) -> None:
        self.mean_auc_ = mean_scores(metadata)

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        rng = np.random.default_rng(self.seed)
        picks = rng.permutation(len(self.metadata_.configs))[:n]
        return [self._recommendation(c, self.mean_auc_[c], "drawn at random from the portfolio")
                for c in picks]


class _NamedBaseline(MetaLearner):
    """Always one named config (``baseline``), for the reason ``rationale``."""

    baseline: str
    rationale: str

    def _fit(self, metadata: MetaData) -> None:
        self.config_ = named_config(self.baseline)
        digest = config_hash(self.config_)
        known = digest in metadata.config_hashes
        self.expected_ = (mean_scores(metadata)[metadata.config_hashes.index(digest)]
                          if known else float("nan"))

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        return [Recommendation(self.config_, config_hash(self.config_), self.expected_,
                               self.rationale)]


class LogisticBaseline(_NamedBaseline):
    """Always the plain logistic regression (median imputation, one-hot, scaling, L2, C=1)."""

    baseline = CLASSIFICATION.baseline
    rationale = "the standard clinical baseline: plain logistic regression"


class RidgeBaseline(_NamedBaseline):
    """Always ridge regression with its penalty tuned by CV: the regression baseline."""

    baseline = REGRESSION.baseline
    rationale = "the regression baseline: ridge with its penalty tuned by cross-validation"


class PortfolioDefaults(MetaLearner):
    """The model families at their library defaults, in portfolio order.

    What the search does for a kind of task the knowledge base holds no
    record of (before a regression KB is built, a regression): no
    meta-knowledge, said so in every rationale. ``task_type`` may also be
    "molecules" (:data:`metamed.kinds.META_KINDS`): the molecular portfolio
    in its order, the baseline first.
    """

    def __init__(self, task_type: str) -> None:
        self.task_type = task_type

    def _fit(self, metadata: MetaData) -> None:
        kind = meta_kind(self.task_type)
        if kind.featurizes:
            self.configs_ = molecular_portfolio(kind.name)
        else:
            self.configs_ = [named_config(name) for name in families_for(self.task_type)]

    def _recommend(self, metafeatures: np.ndarray, n: int) -> list[Recommendation]:
        words = meta_kind(self.task_type).meta_words
        return [Recommendation(config, config_hash(config), float("nan"),
                               f"family default: the knowledge base holds no {words} "
                               "tasks to learn from")
                for config in self.configs_[:n]]


class SVRECFPBaseline(_NamedBaseline):
    """Always SVR on ECFP4 fingerprints: the molecular baseline (MoleculeACE's best)."""

    baseline = MOLECULAR_REGRESSION.baseline
    rationale = "the molecular baseline: SVR (RBF, C = 10, gamma = 0.01) on ECFP4 fingerprints"


class SVCECFPBaseline(_NamedBaseline):
    """Always the SVM on ECFP4 fingerprints: the baseline for molecules' classes."""

    baseline = MOLECULAR_CLASSIFICATION.baseline
    rationale = ("the molecular classes' baseline: an SVM (RBF, C = 10, gamma = 0.01) on "
                 "ECFP4 fingerprints, sigmoid-calibrated")


class CoxBaseline(_NamedBaseline):
    """Always the Cox model with a small ridge penalty: the survival baseline."""

    baseline = SURVIVAL.baseline
    rationale = "the standard prognostic baseline: the Cox proportional-hazards model"
