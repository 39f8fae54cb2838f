"""How the digits few-shot recipe was chosen without looking at the meta-test digits.

The benchmark's meta-test digits (seed 0: 0, 1, 5, 8, 9) are never used
here. Inside the five meta-train digits (2, 3, 4, 6, 7), each fold holds
out two digits as a validation split and meta-trains on the other three;
both sides are turned 90° and 270° as in the benchmark (9 training classes,
6 validation classes), and validation episodes are 5-way 5-shot. Each
recipe (encoder width, shift augmentation) is scored against 1-NN on raw
pixels over the same validation episodes, 5 folds x 300 episodes, with the
benchmark's steps (ProtoNet 1,000 steps, all 9 classes per episode; the
others 100 steps, 5-way).

    python benchmarks/fewshot_dev.py               # ProtoNet
    python benchmarks/fewshot_dev.py maml reptile  # other algorithms
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator

import numpy as np
import torch

from metamed.fewshot.api import make_learner
from metamed.fewshot.base import score_episodes
from metamed.fewshot.baselines import SupportKNN
from metamed.fewshot.episodes import EpisodeSampler, MetaDataset, Shift, rotated_classes
from metamed.fewshot.sources import load_source

FOLDS = ((2, 3), (4, 6), (6, 7), (3, 7), (2, 4))  # held-out pairs of meta-train digits
WIDTHS = (32, 64)
SHIFTS = (0, 1)
STEPS = {"protonet": 1000}  # the benchmark's: 100 x PROTONET_STEPS for ProtoNet
OTHER_STEPS = 100
EPISODES = 300


def folds(train: MetaDataset) -> Iterator[tuple[MetaDataset, MetaDataset]]:
    """(meta-train, validation) splits of the meta-train digits, both turned 90° and 270°."""
    for held in FOLDS:
        inside = np.isin(train.y, held)
        yield (rotated_classes(train.take(~inside), (90, 270)),
               rotated_classes(train.take(inside), (90, 270)))


def main(algos: list[str]) -> None:
    torch.set_num_threads(1)
    train = load_source("digits", 5, seed=0).splits["train"]
    print("| algorithm | width | shift | score | 1-NN | score - 1-NN | folds won | s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for algo, width, shift in itertools.product(algos or ["protonet"], WIDTHS, SHIFTS):
        start, scores = time.perf_counter(), []
        for fit_on, val_on in folds(train):
            sampler = EpisodeSampler(fit_on, 5, 5, 15, seed=0,
                                     augment=Shift(shift) if shift else None)
            learner = make_learner(algo, train_ways=9, iterations=STEPS.get(algo, OTHER_STEPS),
                                   hidden=width, device="cpu").fit(sampler)
            val = EpisodeSampler(val_on, 5, 5, 15, seed=1)
            scores.append((score_episodes(learner, val, EPISODES).mean,
                           score_episodes(SupportKNN(), val, EPISODES).mean))
        score, knn = np.array(scores).T
        print(f"| {algo} | {width} | {shift} | {100 * score.mean():.1f} | {100 * knn.mean():.1f} "
              f"| {100 * (score - knn).mean():+.1f} | {int((score > knn).sum())}/{len(FOLDS)} | "
              f"{time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
