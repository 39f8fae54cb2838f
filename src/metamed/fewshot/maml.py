"""Model-Agnostic Meta-Learning (Finn, Abbeel & Levine, ICML 2017).

Algorithm 2 of the paper: for each task in a meta-batch, take
``inner_steps`` gradient steps from the shared weights θ on the support set
(θ'ᵢ = θ − α∇L_support), then update θ with Adam on the query losses of the
adapted weights θ'ᵢ. Second-order MAML backpropagates through the inner
steps; ``first_order=True`` treats the inner gradients as constants
(first-order MAML, section 5.2). The inner loop runs on functional
parameters (``torch.func.functional_call``) so θ itself is never changed.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from metamed.fewshot.base import FewShotLearner, sgd_adapt
from metamed.fewshot.encoders import make_encoder
from metamed.fewshot.episodes import Episode


class MAML(FewShotLearner):
    """MAML with an ``ways``-output linear head on the encoder.

    Parameters
    ----------
    iterations, meta_batch, meta_lr, hidden, seed, device
        As in :class:`~metamed.fewshot.protonet.ProtoNet` (meta_batch: tasks per update).
    inner_lr : float
        α, the inner-loop step size.
    inner_steps : int
        Inner steps while meta-training.
    test_inner_steps : int
        Inner steps when adapting to a meta-test episode (the paper uses more).
    first_order : bool
        Drop the second-order terms (cheaper, usually as good).

    Attributes
    ----------
    model_ : torch.nn.Module
        θ: the encoder followed by the linear head.
    losses_ : list of float
        Mean query loss after adaptation, per meta-training step.
    """

    def __init__(self, iterations: int = 1000, meta_batch: int = 4, meta_lr: float = 1e-3,
                 inner_lr: float = 0.1, inner_steps: int = 5, test_inner_steps: int = 10,
                 first_order: bool = False, hidden: int = 64, seed: int = 0,
                 device: str = "auto") -> None:
        self.iterations = iterations
        self.meta_batch = meta_batch
        self.meta_lr = meta_lr
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.test_inner_steps = test_inner_steps
        self.first_order = first_order
        self.hidden = hidden
        self.seed = seed
        self.device = device

    def _build(self, input_shape: tuple[int, ...], ways: int) -> nn.Module:
        encoder = make_encoder(input_shape, self.hidden)
        return nn.Sequential(encoder, nn.Linear(encoder.out_features, ways))

    def _adapted(self, episode: Episode, steps: int, create_graph: bool) -> dict:
        self._check_ways(episode)
        support_x, support_y, _, _ = self.tensors(episode)
        return sgd_adapt(self.model_, dict(self.model_.named_parameters()), support_x, support_y,
                         self.inner_lr, steps, create_graph)

    def _episode_loss(self, episode: Episode) -> torch.Tensor:
        params = self._adapted(episode, self.inner_steps, create_graph=not self.first_order)
        _, _, query_x, query_y = self.tensors(episode)
        return F.cross_entropy(functional_call(self.model_, params, (query_x,)), query_y)

    def _predict_logits(self, episode: Episode) -> torch.Tensor:
        params = self._adapted(episode, self.test_inner_steps, create_graph=False)
        with torch.no_grad():
            return functional_call(self.model_, params, (self.tensors(episode)[2],))
