"""The meta-learners by name, for the command line and the benchmarks."""

from metamed.errors import MetamedError
from metamed.learners.base import MetaLearner
from metamed.learners.baselines import (
    CoxBaseline,
    LogisticBaseline,
    RandomConfigs,
    RidgeBaseline,
    SingleBest,
    SVCECFPBaseline,
    SVRECFPBaseline,
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
    "cox": CoxBaseline,
    "svr_ecfp": SVRECFPBaseline,
    "svc_ecfp": SVCECFPBaseline,
}


def make_learner(name: str) -> MetaLearner:
    """A meta-learner with default settings, by name (see :data:`LEARNERS`)."""
    if name not in LEARNERS:
        raise MetamedError(f"unknown meta-learner {name!r}; choose one of {', '.join(LEARNERS)}.")
    return LEARNERS[name]()
