"""Few-shot benchmark: meta-learners against support-set baselines on the same episodes.

Digits (scikit-learn's 8x8 images, 5 meta-train / 5 meta-test classes,
5-way) and the multiclass corpus tables split by class (2-way: they have
4-5 classes, so 2 or 3 meta-train classes), at 1, 5 and 10 shots. Each cell
is the mean query accuracy over 600 meta-test episodes (15 queries per
class; 10 for the tables' small classes) with a 95% CI (1.96·sd/√n); the
last column is ProtoNet minus 1-NN on the same episodes, paired, with its CI.
Meta-training is short to fit a 2-core CPU: see SOURCES. On digits the
meta-train classes are also turned 90° and 270° as new classes, meta-train
images are shifted by up to a pixel, and ProtoNet meta-trains 15-way
(Snell et al.'s Omniglot recipe; no 180° turn, which would make a
meta-train 6 into a meta-test 9); ProtoNet takes PROTONET_STEPS times as
many steps as the others, since its step is one episode with no inner loop
(MAML's is 4 episodes x 10 second-order inner steps). The digits recipe
(shift, each method's width, 4x4 map) was chosen on held-out meta-train
digits, never on the meta-test ones (benchmarks/fewshot_dev.py reruns the
shift and width choice; the map choice was made with a scratch copy of the
old encoder): see docs/benchmarks.md.

    python benchmarks/fewshot.py            # prints a markdown table
    python benchmarks/fewshot.py digits     # only the sources named
    python benchmarks/fewshot.py splits     # ProtoNet vs 1-NN on other digit class splits
"""

from __future__ import annotations

import sys
import time

import torch
from threadpoolctl import threadpool_limits

from metamed.fewshot.base import paired_difference
from metamed.fewshot.compare import compare
from metamed.fewshot.episodes import Shift
from metamed.fewshot.sources import load_source

SOURCES = {  # source: (ways, queries, iterations, rotations, shift pixels, ProtoNet train ways)
    "digits": (5, 15, 100, (90, 270), 1, 15),  # no 180°: a 6 turned over is a 9, a test class
    "corpus:stevedata_mm_nhis": (2, 10, 200, (), 0, None),
    "corpus:multgee_arthritis": (2, 10, 200, (), 0, None),
    "corpus:survival_transplant": (2, 10, 200, (), 0, None),
}
PROTONET_STEPS = 10
SHOTS = (1, 5, 10)
METHODS = ("protonet", "maml", "reptile", "finetune", "logreg", "knn")
EPISODES = 600
WIDTHS = {"protonet": 64, "maml": 32, "reptile": 64, "finetune": 32}  # fewshot_dev.py's best
OTHER_SPLITS = (1, 2, 3, 4)  # class-split seeds; the main table uses seed 0


def other_splits() -> None:
    """Digits 5-way 5-shot on other class splits: does ProtoNet's edge over 1-NN hold?

    The recipe was fixed before these ran; each seed puts other digits in meta-test.
    """
    torch.set_num_threads(1)
    ways, queries, iterations, rotations, shift, train_ways = SOURCES["digits"]
    print("| split seed | meta-test digits | protonet | knn | protonet - knn |")
    print("|---|---|---|---|---|")
    for seed in OTHER_SPLITS:
        data = load_source("digits", ways, seed=seed, rotations=rotations)
        settings = dict(queries=queries, n_episodes=EPISODES, train_ways=train_ways,
                        augment=Shift(shift), seed=seed, device="cpu")
        with threadpool_limits(limits=1):
            proto = compare(data, ways, 5, iterations=iterations * PROTONET_STEPS,
                            methods=("protonet",), hidden=WIDTHS["protonet"], **settings)[0]
            knn = compare(data, ways, 5, methods=("knn",), **settings)[0]
        gap = paired_difference(proto, knn)
        digits = ", ".join(map(str, data.splits["test"].classes))
        print(f"| {seed} | {digits} | {proto} | {knn} | {100 * gap.mean:+.1f} ± "
              f"{100 * gap.ci95:.1f} |", flush=True)


def main(names: list[str]) -> None:
    torch.set_num_threads(1)
    print(f"| source | ways | shots | {' | '.join(METHODS)} | protonet - knn |")
    print("|" + "---|" * (4 + len(METHODS)))
    start = time.perf_counter()
    chosen = {k: v for k, v in SOURCES.items() if not names or k in names}
    for source, (ways, queries, iterations, rotations, shift, train_ways) in chosen.items():
        data = load_source(source, ways, seed=0, rotations=rotations)
        augment = Shift(shift) if shift else None
        for shots in SHOTS:
            with threadpool_limits(limits=1):
                scores = [score for method in METHODS for score in compare(
                    data, ways, shots, queries=queries, n_episodes=EPISODES,
                    iterations=iterations * (PROTONET_STEPS if method == "protonet" else 1),
                    methods=(method,), hidden=WIDTHS.get(method, 64), train_ways=train_ways,
                    augment=augment, device="cpu")]
            best = max(s.mean for s in scores)
            cells = [f"**{s}**" if s.mean == best else str(s) for s in scores]
            gap = paired_difference(scores[METHODS.index("protonet")],
                                    scores[METHODS.index("knn")])
            cells.append(f"{100 * gap.mean:+.1f} ± {100 * gap.ci95:.1f}")
            print(f"| {source} | {ways} | {shots} | {' | '.join(cells)} |", flush=True)
    print(f"\n{EPISODES} meta-test episodes per cell; widths {WIDTHS}; "
          f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    if sys.argv[1:] == ["splits"]:
        other_splits()
    else:
        main(sys.argv[1:])
