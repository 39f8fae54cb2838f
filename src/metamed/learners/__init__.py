"""Meta-learners: from the knowledge base to ranked, explained recommendations.

All share :class:`MetaLearner` (``fit(metadata)``, ``recommend(task, n)``);
:func:`make_learner` builds one by name for the command line and benchmarks.
"""

from metamed.errors import MetamedError
from metamed.learners.base import N_CANDIDATES, MetaLearner, Recommendation
from metamed.learners.baselines import (
    LogisticBaseline,
    PortfolioDefaults,
    RandomConfigs,
    RidgeBaseline,
    SingleBest,
)
from metamed.learners.greedy import GreedyPortfolio
from metamed.learners.local import LocalPortfolio
from metamed.learners.nearest import NearestTasks
from metamed.learners.ranker import PerformanceRanker

LEARNERS: dict[str, type[MetaLearner]] = {
    "nearest": NearestTasks,
    "ranker": PerformanceRanker,
    "greedy": GreedyPortfolio,
    "local": LocalPortfolio,
    "single_best": SingleBest,
    "random": RandomConfigs,
    "logreg": LogisticBaseline,
    "ridge_cv": RidgeBaseline,
}
#: Learners that serve one task type only (they always recommend its baseline).
ONE_TYPE_LEARNERS = {"logreg": "classification", "ridge_cv": "regression"}

#: What ``metamed fit`` uses unless told otherwise: chosen by leave-one-task-out on
#: the development half of the corpus tasks (docs/benchmarks.md, search mode).
DEFAULT_LEARNER = "local"


def make_learner(name: str) -> MetaLearner:
    """A meta-learner with default settings, by name (see :data:`LEARNERS`)."""
    if name not in LEARNERS:
        raise MetamedError(f"unknown meta-learner {name!r}; choose one of {', '.join(LEARNERS)}.")
    return LEARNERS[name]()


__all__ = [
    "DEFAULT_LEARNER", "LEARNERS", "N_CANDIDATES", "GreedyPortfolio", "LocalPortfolio",
    "LogisticBaseline", "MetaLearner", "NearestTasks", "PerformanceRanker", "PortfolioDefaults",
    "RandomConfigs", "RidgeBaseline", "ONE_TYPE_LEARNERS",
    "Recommendation", "SingleBest", "make_learner",
]
