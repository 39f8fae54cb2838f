"""Every method on the same meta-test episodes: the comparison behind ``fewshot eval``.

One function so the command and ``benchmarks/fewshot.py`` cannot drift: the
meta-learners are meta-trained on meta-train episodes, the baselines see
only support sets (or pre-train on meta-train rows), and all are scored on
episodes ``0..n_episodes-1`` of one seeded meta-test sampler.
"""

from __future__ import annotations

from metamed.fewshot.api import make_learner
from metamed.fewshot.base import FewShotScore, score_episodes
from metamed.fewshot.baselines import SupportKNN, SupportLogReg
from metamed.fewshot.episodes import Augment, EpisodeSampler
from metamed.fewshot.sources import FewShotData

META_LEARNERS = ("protonet", "maml", "fomaml", "reptile")
BASELINES = ("logreg", "knn", "finetune")


def samplers(data: FewShotData, ways: int, shots: int, queries: int = 15, seed: int = 0,
             augment: Augment | None = None) -> tuple[EpisodeSampler, EpisodeSampler]:
    """Meta-train and meta-test samplers (meta-train may have fewer classes than ``ways``).

    ``augment`` perturbs meta-train inputs only: meta-test episodes stay the real images.
    """
    train_ways = min(ways, len(data.splits["train"].classes))
    return (EpisodeSampler(data.splits["train"], train_ways, shots, queries, seed, augment),
            EpisodeSampler(data.splits["test"], ways, shots, queries, seed=seed + 1))


def compare(data: FewShotData, ways: int, shots: int, *, queries: int = 15,
            n_episodes: int = 600, iterations: int = 500, methods: tuple[str, ...] = (
                *META_LEARNERS, *BASELINES), hidden: int = 64, train_ways: int | None = None,
            seed: int = 0, augment: Augment | None = None,
            device: str = "auto") -> list[FewShotScore]:
    """Meta-train each method for ``iterations`` steps and score it on the test episodes.

    ``train_ways`` is ProtoNet's meta-training ways (see :func:`make_learner`);
    ``augment`` perturbs the meta-train inputs of every meta-trained method.
    """
    train, test = samplers(data, ways, shots, queries, seed, augment)
    scores = []
    for method in methods:
        if method == "logreg":
            learner = SupportLogReg()
        elif method == "knn":
            learner = SupportKNN()
        else:
            learner = make_learner(method, train_ways, iterations=iterations, hidden=hidden,
                                   seed=seed, device=device)
        scores.append(score_episodes(learner.fit(train), test, n_episodes, method))
    return scores
