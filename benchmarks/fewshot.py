"""Few-shot benchmark: meta-learners against support-set baselines on the same episodes.

Digits (scikit-learn's 8x8 images, 5 meta-train / 5 meta-test classes,
5-way) and the multiclass corpus tables split by class (2-way: they have
4-5 classes, so 2 or 3 meta-train classes), at 1, 5 and 10 shots. Each cell
is the mean query accuracy over 600 meta-test episodes (15 queries per
class; 10 for the tables' small classes) with a 95% CI (1.96·sd/√n).
Meta-training is short to fit a 2-core CPU: see ITERATIONS.

    python benchmarks/fewshot.py            # prints a markdown table
"""

from __future__ import annotations

import time

import torch
from threadpoolctl import threadpool_limits

from metamed.fewshot.compare import compare
from metamed.fewshot.sources import load_source

SOURCES = {  # source: (ways, queries, meta-training iterations)
    "digits": (5, 15, 100),
    "corpus:stevedata_mm_nhis": (2, 10, 200),
    "corpus:multgee_arthritis": (2, 10, 200),
    "corpus:survival_transplant": (2, 10, 200),
}
SHOTS = (1, 5, 10)
METHODS = ("protonet", "maml", "reptile", "finetune", "logreg", "knn")
EPISODES = 600
HIDDEN = 32


def main() -> None:
    torch.set_num_threads(1)
    print(f"| source | ways | shots | {' | '.join(METHODS)} |")
    print("|" + "---|" * (3 + len(METHODS)))
    start = time.perf_counter()
    for source, (ways, queries, iterations) in SOURCES.items():
        data = load_source(source, ways, seed=0)
        for shots in SHOTS:
            with threadpool_limits(limits=1):
                scores = compare(data, ways, shots, queries=queries, n_episodes=EPISODES,
                                 iterations=iterations, methods=METHODS, hidden=HIDDEN,
                                 device="cpu")
            best = max(s.mean for s in scores)
            cells = [f"**{s}**" if s.mean == best else str(s) for s in scores]
            print(f"| {source} | {ways} | {shots} | {' | '.join(cells)} |", flush=True)
    print(f"\n{EPISODES} meta-test episodes per cell; hidden width {HIDDEN}; "
          f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
