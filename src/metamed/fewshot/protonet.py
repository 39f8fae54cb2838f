"""Prototypical Networks (Snell, Swersky & Zemel, NeurIPS 2017).

The paper in four lines: embed every support example with a network f;
a class's prototype is the mean embedding of its support examples (eq. 1);
a query is classified by a softmax over negative squared Euclidean
distances to the prototypes (eq. 2); f is trained by minimising the query
cross-entropy over episodes (Algorithm 1). Adaptation needs no gradient
step, so a new diagnosis costs one forward pass.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from metamed.fewshot.base import FewShotLearner
from metamed.fewshot.encoders import make_encoder
from metamed.fewshot.episodes import Episode, EpisodeSampler


class ProtoNet(FewShotLearner):
    """Prototypical network.

    Parameters
    ----------
    iterations : int
        Meta-training steps (Adam updates).
    meta_batch : int
        Episodes averaged per step.
    meta_lr : float
        Adam learning rate.
    hidden : int
        Width of the encoder (and embedding size of the MLP).
    train_ways : int or None
        Ways of the meta-training episodes, capped at the classes of the
        largest meta-train task;
        ``None`` uses the sampler's. The paper trains with more ways than it
        tests (60 vs 5 on Omniglot): harder episodes, a sharper embedding.
        Prototypes work for any number of ways, so test episodes may differ.
    seed : int
        Seed of the network's initial weights.
    device : str
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.

    Attributes
    ----------
    model_ : torch.nn.Module
        The meta-trained encoder.
    ways_ : int
        Ways it meta-trained on (any number works at test time).
    losses_ : list of float
        Meta-training loss of each step.

    Example
    -------
    >>> net = ProtoNet(iterations=200).fit(train_episodes)  # doctest: +SKIP
    >>> net.evaluate(test_episodes, n_episodes=600)  # doctest: +SKIP
    """

    def __init__(self, iterations: int = 1000, meta_batch: int = 1, meta_lr: float = 1e-3,
                 hidden: int = 64, train_ways: int | None = None, seed: int = 0,
                 device: str = "auto") -> None:
        self.iterations = iterations
        self.meta_batch = meta_batch
        self.meta_lr = meta_lr
        self.hidden = hidden
        self.train_ways = train_ways
        self.seed = seed
        self.device = device

    def fit(self, episodes: EpisodeSampler) -> ProtoNet:
        """Meta-train on ``train_ways``-way episodes of the same meta-train split."""
        ways = min(self.train_ways or episodes.ways, episodes.data.most_classes_in_a_task)
        return super().fit(episodes.with_ways(ways) if ways != episodes.ways else episodes)

    def _build(self, input_shape: tuple[int, ...], ways: int) -> nn.Module:
        return make_encoder(input_shape, self.hidden)

    def _logits(self, episode: Episode) -> torch.Tensor:
        support_x, support_y, query_x, _ = self.tensors(episode)
        ways = len(episode.classes)
        embedded = self.model_(torch.cat([support_x, query_x]))
        support, query = embedded[: len(support_x)], embedded[len(support_x):]
        prototypes = torch.stack([support[support_y == c].mean(0) for c in range(ways)])
        return -torch.cdist(query, prototypes).pow(2)

    def _episode_loss(self, episode: Episode) -> torch.Tensor:
        return F.cross_entropy(self._logits(episode), self.tensors(episode)[3])

    @torch.no_grad()
    def _predict_logits(self, episode: Episode) -> torch.Tensor:
        return self._logits(episode)
