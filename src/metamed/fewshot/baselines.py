"""Baselines scored on the same episodes as the meta-learners.

If meta-learning is worth its complexity, it must beat these:

- :class:`SupportLogReg` and :class:`SupportKNN` — scikit-learn models
  fitted on the support set only (raw inputs, nothing meta-learned);
- :class:`FineTuned` — "Baseline" of Chen et al. (ICLR 2019, "A Closer Look
  at Few-shot Classification"): an encoder trained as an ordinary
  classifier on all meta-train classes, then, per episode, a new linear head
  trained on the frozen support features.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from torch import nn
from torch.nn import functional as F

from metamed.fewshot.base import FewShotLearner, FewShotScore, score_episodes
from metamed.fewshot.encoders import make_encoder
from metamed.fewshot.episodes import Episode, EpisodeSampler


class _SupportOnly:
    """A scikit-learn classifier refitted on each episode's flattened support set."""

    def fit(self, episodes: EpisodeSampler | None = None) -> _SupportOnly:
        """Nothing to meta-learn; kept so every method is used the same way."""
        return self

    def predict(self, episode: Episode) -> np.ndarray:
        model = self._model(episode).fit(_flat(episode.support_x), episode.support_y)
        return model.predict(_flat(episode.query_x))

    def evaluate(self, episodes: EpisodeSampler, n_episodes: int = 600) -> FewShotScore:
        return score_episodes(self, episodes, n_episodes, type(self).__name__)


class SupportLogReg(_SupportOnly):
    """L2 logistic regression (``C``) on the support set."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def _model(self, episode: Episode) -> LogisticRegression:
        return LogisticRegression(C=self.C, max_iter=1000)


class SupportKNN(_SupportOnly):
    """k-nearest neighbours on the support set (k capped at ``shots``)."""

    def __init__(self, n_neighbors: int = 1) -> None:
        self.n_neighbors = n_neighbors

    def _model(self, episode: Episode) -> KNeighborsClassifier:
        shots = len(episode.support_y) // len(episode.classes)
        return KNeighborsClassifier(min(self.n_neighbors, shots))


class FineTuned(FewShotLearner):
    """Pre-train on all meta-train classes, fine-tune a new head on each support set.

    Parameters
    ----------
    iterations : int
        Pre-training mini-batches (of ``batch_size`` meta-train rows).
    meta_lr : float
        Adam learning rate of pre-training.
    finetune_steps, finetune_lr : int, float
        Adam steps and rate of the per-episode linear head.
    hidden, seed, device
        As in :class:`~metamed.fewshot.protonet.ProtoNet`.
    """

    def __init__(self, iterations: int = 1000, batch_size: int = 64, meta_lr: float = 1e-3,
                 finetune_steps: int = 100, finetune_lr: float = 0.01, hidden: int = 64,
                 seed: int = 0, device: str = "auto") -> None:
        self.iterations = iterations
        self.batch_size = batch_size
        self.meta_lr = meta_lr
        self.finetune_steps = finetune_steps
        self.finetune_lr = finetune_lr
        self.hidden = hidden
        self.seed = seed
        self.device = device

    def fit(self, episodes: EpisodeSampler) -> FineTuned:
        """Train encoder + a head over every meta-train class, on rows (not episodes).

        Rows get the sampler's augmentation too, as the meta-learners' episodes do.
        """
        data = episodes.data
        self._setup(tuple(data.X.shape[1:]), episodes.ways)
        classes, y = np.unique(data.y, return_inverse=True)
        head = nn.Linear(self.model_.out_features, len(classes)).to(self.device_)
        self.optimizer_.add_param_group({"params": head.parameters()})
        rng = np.random.default_rng(self.seed)
        self.losses_ = []
        for _ in range(self.iterations):
            rows = rng.choice(len(y), min(self.batch_size, len(y)), replace=False)
            x = data.X[rows] if episodes.augment is None else episodes.augment(data.X[rows], rng)
            x = torch.as_tensor(x, device=self.device_)
            loss = F.cross_entropy(head(self.model_(x)), torch.as_tensor(y[rows],
                                                                         device=self.device_))
            self.optimizer_.zero_grad()
            loss.backward()
            self.optimizer_.step()
            self.losses_.append(float(loss.detach()))
        return self

    def _build(self, input_shape: tuple[int, ...], ways: int) -> nn.Module:
        return make_encoder(input_shape, self.hidden)

    def _predict_logits(self, episode: Episode) -> torch.Tensor:
        support_x, support_y, query_x, _ = self.tensors(episode)
        with torch.no_grad():
            features = self.model_(torch.cat([support_x, query_x]))
        support, query = features[: len(support_x)], features[len(support_x):]
        head = nn.Linear(features.shape[1], len(episode.classes)).to(self.device_)
        optimizer = torch.optim.Adam(head.parameters(), lr=self.finetune_lr)
        for _ in range(self.finetune_steps):
            optimizer.zero_grad()
            F.cross_entropy(head(support), support_y).backward()
            optimizer.step()
        with torch.no_grad():
            return head(query)


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)
