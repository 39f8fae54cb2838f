"""What every few-shot learner shares: the estimator contract and the scoring.

A learner follows scikit-learn's conventions: ``__init__`` stores its
arguments, ``fit(episodes)`` meta-trains on a meta-train
:class:`~metamed.fewshot.episodes.EpisodeSampler` and returns ``self``,
learned attributes end in ``_``. ``predict(episode)`` adapts to one
episode's support set and labels its query set; ``evaluate`` scores that
over many meta-test episodes with a 95% confidence interval. Algorithms
only say how one meta-training step and one adaptation work.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from metamed.errors import MetamedError
from metamed.fewshot.encoders import pick_device
from metamed.fewshot.episodes import Episode, EpisodeSampler


@dataclass(frozen=True)
class FewShotScore:
    """Mean query accuracy over episodes, with a 95% CI half-width (1.96·sd/√n).

    ``accuracies`` keeps each episode's accuracy, so two methods scored on the
    same episodes can be compared pairwise (:func:`paired_difference`).
    """

    method: str
    mean: float
    ci95: float
    n_episodes: int
    accuracies: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False,
                                   compare=False)

    def __str__(self) -> str:
        return f"{100 * self.mean:.1f} ± {100 * self.ci95:.1f}"


def _summary(method: str, accuracies: np.ndarray) -> FewShotScore:
    n = len(accuracies)
    sd = accuracies.std(ddof=1) if n > 1 else 0.0
    return FewShotScore(method, float(accuracies.mean()), float(1.96 * sd / np.sqrt(n)), n,
                        accuracies)


def score_episodes(learner, episodes: EpisodeSampler, n_episodes: int = 600,
                   method: str | None = None) -> FewShotScore:
    """Score anything with ``predict(episode)`` on episodes ``0..n_episodes-1``.

    BLAS runs single-threaded here: episodes are tiny, and on a busy small
    machine threads made a support-set logistic regression many times slower.
    """
    with threadpool_limits(limits=1):
        accuracies = np.array([np.mean(learner.predict(e) == e.query_y)
                               for e in episodes.episodes(n_episodes)])
    return _summary(method or type(learner).__name__, accuracies)


def paired_difference(a: FewShotScore, b: FewShotScore) -> FewShotScore:
    """``a - b`` episode by episode, with its 95% CI: the fair test of "a beats b".

    Both must be scores of the same episodes. Pairing removes what makes
    some episodes hard for every method, so the interval is much narrower
    than the two scores' own intervals suggest.
    """
    if len({a.n_episodes, b.n_episodes, len(a.accuracies), len(b.accuracies)}) != 1:
        raise MetamedError("a paired difference needs two scores of the same episodes.")
    return _summary(f"{a.method} - {b.method}", a.accuracies - b.accuracies)


class FewShotLearner:
    """Base of the torch learners: device, seeding, the meta-training loop.

    Subclasses define ``_build(input_shape, ways)`` (the network),
    ``_episode_loss(episode)`` (one task's meta-loss) and ``_predict_logits``.
    """

    iterations: int
    meta_batch: int
    seed: int
    device: str

    def get_params(self) -> dict:
        """The constructor arguments, as scikit-learn's ``get_params`` (JSON-able)."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def fit(self, episodes: EpisodeSampler) -> FewShotLearner:
        """Meta-train on ``iterations`` batches of ``meta_batch`` meta-train episodes."""
        self._setup(tuple(episodes.data.X.shape[1:]), episodes.ways)
        self.losses_: list[float] = []
        for i in range(self.iterations):
            batch = [episodes.episode(i * self.meta_batch + j) for j in range(self.meta_batch)]
            self.losses_.append(self._meta_step(batch))
        return self

    def _setup(self, input_shape: tuple[int, ...], ways: int) -> None:
        torch.manual_seed(self.seed)
        self.device_ = pick_device(self.device)
        self.input_shape_, self.ways_ = input_shape, ways
        self.model_ = self._build(input_shape, ways).to(self.device_)
        self.optimizer_ = self._optimizer()

    def _optimizer(self) -> torch.optim.Optimizer | None:
        """The outer-loop optimiser: Adam on the meta-loss (Reptile has its own update)."""
        return torch.optim.Adam(self.model_.parameters(), lr=self.meta_lr)

    def _meta_step(self, batch: list[Episode]) -> float:
        """One outer update: the mean episode loss, backpropagated."""
        self.optimizer_.zero_grad()
        loss = torch.stack([self._episode_loss(e) for e in batch]).mean()
        loss.backward()
        self.optimizer_.step()
        return float(loss.detach())

    def predict(self, episode: Episode) -> np.ndarray:
        """Adapt to the support set; the query set's predicted labels ``0..ways-1``."""
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first.")
        return self._predict_logits(episode).argmax(1).cpu().numpy()

    def evaluate(self, episodes: EpisodeSampler, n_episodes: int = 600) -> FewShotScore:
        """Mean accuracy and 95% CI over ``n_episodes`` meta-test episodes."""
        return score_episodes(self, episodes, n_episodes, type(self).__name__)

    def tensors(self, episode: Episode) -> tuple[torch.Tensor, ...]:
        """Support x, support y, query x, query y on the learner's device."""
        return tuple(torch.as_tensor(a, device=self.device_) for a in (
            episode.support_x, episode.support_y, episode.query_x, episode.query_y))

    def _check_ways(self, episode: Episode) -> None:
        if len(episode.classes) != self.ways_:
            raise MetamedError(f"this model was meta-trained for {self.ways_}-way episodes; "
                               f"got a {len(episode.classes)}-way one.")


def sgd_adapt(model: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor,
              y: torch.Tensor, lr: float, steps: int,
              create_graph: bool = False) -> dict[str, torch.Tensor]:
    """Plain gradient steps on functional parameters: MAML's and Reptile's inner loop.

    With ``create_graph`` the steps stay differentiable (second-order MAML);
    without it the gradients are constants, which is first-order MAML.
    """
    for _ in range(steps):
        loss = F.cross_entropy(functional_call(model, params, (x,)), y)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=create_graph)
        params = {name: p - lr * g for (name, p), g in zip(params.items(), grads, strict=True)}
    return params
