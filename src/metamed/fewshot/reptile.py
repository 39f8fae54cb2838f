"""Reptile (Nichol, Achiam & Schulman, "On First-Order Meta-Learning Algorithms", 2018).

Algorithm 2 of the paper (batched): for each of ``meta_batch`` tasks, start
from the shared weights θ and take ``inner_steps`` SGD steps on the task's
examples, giving Wᵢ; then move θ towards them: θ ← θ + ε·mean(Wᵢ − θ), with
ε annealed linearly from ``outer_lr`` to 0. No second derivatives and no
query loss: the update direction alone finds weights that adapt fast. At
test time a copy of θ is fine-tuned on the support set.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

from metamed.fewshot.base import FewShotLearner, sgd_adapt
from metamed.fewshot.encoders import make_encoder
from metamed.fewshot.episodes import Episode


class Reptile(FewShotLearner):
    """Reptile with an ``ways``-output linear head on the encoder.

    Parameters
    ----------
    iterations, meta_batch, hidden, seed, device
        As in :class:`~metamed.fewshot.protonet.ProtoNet` (meta_batch: tasks per update).
    outer_lr : float
        ε at the first step (annealed linearly to 0).
    inner_lr : float
        SGD step size of the inner loop and of test-time fine-tuning.
    inner_steps : int
        Inner SGD steps per task while meta-training (on support and query rows).
    test_inner_steps : int
        Fine-tuning steps on a meta-test support set.

    Attributes
    ----------
    model_ : torch.nn.Module
        θ: the encoder followed by the linear head.
    losses_ : list of float
        Mean distance ‖W − θ‖ moved per step (how far tasks pull θ).
    """

    def __init__(self, iterations: int = 1000, meta_batch: int = 5, outer_lr: float = 1.0,
                 inner_lr: float = 0.1, inner_steps: int = 5, test_inner_steps: int = 10,
                 hidden: int = 64, seed: int = 0, device: str = "auto") -> None:
        self.iterations = iterations
        self.meta_batch = meta_batch
        self.outer_lr = outer_lr
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.test_inner_steps = test_inner_steps
        self.hidden = hidden
        self.seed = seed
        self.device = device

    def _optimizer(self) -> None:
        """Reptile's outer update is its own interpolation, not an optimiser step."""
        return None

    def _build(self, input_shape: tuple[int, ...], ways: int) -> nn.Module:
        encoder = make_encoder(input_shape, self.hidden)
        return nn.Sequential(encoder, nn.Linear(encoder.out_features, ways))

    def _task_weights(self, episode: Episode, steps: int) -> dict[str, torch.Tensor]:
        self._check_ways(episode)
        support_x, support_y, query_x, query_y = self.tensors(episode)
        x, y = torch.cat([support_x, query_x]), torch.cat([support_y, query_y])
        params = {n: p.detach().requires_grad_() for n, p in self.model_.named_parameters()}
        return sgd_adapt(self.model_, params, x, y, self.inner_lr, steps)

    def _meta_step(self, batch: list[Episode]) -> float:
        epsilon = self.outer_lr * (1 - len(self.losses_) / self.iterations)
        adapted = [self._task_weights(e, self.inner_steps) for e in batch]
        moved = 0.0
        with torch.no_grad():
            for name, theta in self.model_.named_parameters():
                delta = torch.stack([w[name] for w in adapted]).mean(0) - theta
                theta.add_(epsilon * delta)
                moved += float(delta.pow(2).sum())
        return moved ** 0.5

    def _predict_logits(self, episode: Episode) -> torch.Tensor:
        self._check_ways(episode)
        support_x, support_y, query_x, _ = self.tensors(episode)
        params = {n: p.detach().requires_grad_() for n, p in self.model_.named_parameters()}
        params = sgd_adapt(self.model_, params, support_x, support_y, self.inner_lr,
                           self.test_inner_steps)
        with torch.no_grad():
            return functional_call(self.model_, params, (query_x,))

