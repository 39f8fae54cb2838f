"""Meta-learners: from the knowledge base to ranked, explained recommendations.

All share :class:`MetaLearner` (``fit(metadata)``, ``recommend(task, n)``);
:func:`make_learner` builds one by name for the command line and benchmarks.
The learners themselves are imported on first use (:mod:`metamed.lazy`): a loaded model
reads only :class:`Recommendation`, and ``metamed predict`` should not pay
for the knowledge base's machinery.
"""

from metamed.kinds import META_KINDS
from metamed.lazy import lazy_attributes
from metamed.learners.recommendation import N_CANDIDATES, Recommendation

#: What ``metamed fit`` uses unless told otherwise: chosen by leave-one-task-out on
#: the development half of the corpus tasks (docs/benchmarks.md, search mode).
DEFAULT_LEARNER = "local"
#: Learners that serve one kind of task only (they always recommend its baseline), by the
#: kind's :attr:`~metamed.kinds.Kind.meta_name`.
ONE_TYPE_LEARNERS = {kind.baseline: kind.meta_name for kind in META_KINDS.values()}

_HOMES = {name: f"metamed.learners.{module}" for name, module in {
    "MetaLearner": "base",
    "LogisticBaseline": "baselines", "PortfolioDefaults": "baselines",
    "RandomConfigs": "baselines", "RidgeBaseline": "baselines", "SingleBest": "baselines",
    "CoxBaseline": "baselines", "SVRECFPBaseline": "baselines",
    "GreedyPortfolio": "greedy", "LocalPortfolio": "local", "NearestTasks": "nearest",
    "PerformanceRanker": "ranker", "LEARNERS": "registry", "make_learner": "registry",
}.items()}
__getattr__ = lazy_attributes(__name__, _HOMES)
__all__ = ["DEFAULT_LEARNER", "N_CANDIDATES", "ONE_TYPE_LEARNERS", "Recommendation", *_HOMES]
