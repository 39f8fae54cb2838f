"""Choosing, saving and loading few-shot learners by name.

A saved model is ``torch.save`` of plain data — the algorithm's name, its
constructor arguments, the input shape, the number of ways, the source it
was meta-trained on and the network's state dict — so it loads with
``torch.load(weights_only=True)``: no pickled code runs when a file is opened.
It also records ``FORMAT``, raised whenever the networks change shape, so an
older file is refused in one sentence instead of loading into another network.
"""

from __future__ import annotations

from pathlib import Path

import torch

from metamed.errors import MetamedError
from metamed.fewshot.base import FewShotLearner
from metamed.fewshot.baselines import FineTuned
from metamed.fewshot.maml import MAML
from metamed.fewshot.protonet import ProtoNet
from metamed.fewshot.reptile import Reptile

FORMAT = 2  # 2: ConvNet pools only down to a 4x4 map (format 1 pooled every block)

ALGORITHMS: dict[str, type[FewShotLearner]] = {
    "protonet": ProtoNet,
    "maml": MAML,
    "fomaml": MAML,
    "reptile": Reptile,
    "finetune": FineTuned,
}


def make_learner(algo: str, train_ways: int | None = None, **params: object) -> FewShotLearner:
    """A learner by name (``fomaml`` is MAML with ``first_order=True``).

    ``train_ways`` reaches ProtoNet only: the gradient-based learners
    meta-train on the test's ways, since their output layer has that many units.
    """
    if algo not in ALGORITHMS:
        raise MetamedError(f"algorithm '{algo}' is not one of {', '.join(ALGORITHMS)}.")
    if algo == "fomaml":
        params["first_order"] = True
    if algo == "protonet":
        params["train_ways"] = train_ways
    return ALGORITHMS[algo](**params)


def algorithm_name(learner: FewShotLearner) -> str:
    """The registry name of a learner (its inverse of :func:`make_learner`)."""
    if isinstance(learner, MAML) and learner.first_order:
        return "fomaml"
    return next(name for name, cls in ALGORITHMS.items() if type(learner) is cls)


def save_learner(learner: FewShotLearner, path: Path, source: dict) -> None:
    """Write a fitted learner and the source settings needed to rebuild its episodes."""
    torch.save({
        "format": FORMAT,
        "algo": algorithm_name(learner),
        "params": learner.get_params(),
        "input_shape": list(learner.input_shape_),
        "ways": learner.ways_,
        "source": source,
        "state_dict": learner.model_.state_dict(),
    }, path)


def load_learner(path: Path, device: str = "auto") -> tuple[FewShotLearner, dict]:
    """A saved learner, ready to predict, and the source settings it was saved with."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        algo = saved["algo"]
    except (OSError, RuntimeError, KeyError, TypeError) as error:
        raise MetamedError(f"'{path}' is not a metamed few-shot model: {error}.") from error
    if saved.get("format", 1) != FORMAT:
        raise MetamedError(f"'{path}' was saved by another metamed version (model format "
                           f"{saved.get('format', 1)}, this one reads {FORMAT}); "
                           "meta-train it again with `metamed fewshot train`.")
    learner = make_learner(algo, **{**saved["params"], "device": device})
    learner._setup(tuple(saved["input_shape"]), saved["ways"])
    learner.model_.load_state_dict(saved["state_dict"])
    return learner, saved["source"]
