"""Keep or retire the "event during follow-up" classification twins of the survival tasks?

Usage: python benchmarks/twins.py [--learners local,nearest,ranker] [--kb PATH]

73 classification tasks of the corpus are time-to-event cohorts squeezed
into "event during follow-up" labels; since issue 22 each also exists as a
survival task (same family). Their labels mix risk with follow-up length,
so as meta-training data they might mislead the recommendations for the
other classification tasks, or they might carry useful knowledge of small
clinical tables. This measures which, leave-one-task-out and zero-shot
(no model fitted, scores from the KB): on every classification task that is
*not* a twin, each learner is fitted on the rest of the KB with the twins
(as shipped) and without them, and the held-out task's KB ROC AUC of

* its first recommendation (top-1), and
* the best of its first ``N_CANDIDATES`` (what ``fit``'s search starts from)

are compared, paired by task, with a 95% bootstrap interval over tasks.
The twins' own evaluation is not what is decided here: retiring them
removes them as tasks, so only their effect on the others is measured.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from metamed.corpus.registry import entries
from metamed.knowledge import open_storage
from metamed.knowledge.metadata import MetaData
from metamed.learners import N_CANDIDATES, make_learner


def twins() -> set[str]:
    """Classification tasks whose family (in the corpus registry) holds a survival task."""
    families = {e.family for e in entries() if e.task_type == "survival" and e.family}
    return {e.slug for e in entries() if e.task_type == "classification" and e.family in families}


def recommended_scores(metadata: MetaData, t: int, visible: MetaData, learner: str) -> tuple:
    """The held-out task's KB score of the top recommendation and of the best of the top N."""
    fitted = make_learner(learner).fit(visible)
    picks = fitted.recommend(metadata.metafeatures[t], N_CANDIDATES)
    scores = metadata.filled_scores()[t]
    columns = [metadata.config_hashes.index(p.config_hash) for p in picks]
    return float(scores[columns[0]]), float(scores[columns].max())


def compare(metadata: MetaData, learners: list[str]) -> pd.DataFrame:
    """One row per (non-twin task, learner): scores with and without the twins in the KB."""
    twin_ids = twins()
    rows = []
    for t, task_id in enumerate(metadata.task_ids):
        if task_id in twin_ids:
            continue
        visible = metadata.without(task_id)
        untwinned = visible.with_tasks([v not in twin_ids for v in visible.task_ids])
        for learner in learners:
            top_with, best_with = recommended_scores(metadata, t, visible, learner)
            top_without, best_without = recommended_scores(metadata, t, untwinned, learner)
            rows.append({"task": task_id, "learner": learner, "top1_with": top_with,
                         "top1_without": top_without, f"best{N_CANDIDATES}_with": best_with,
                         f"best{N_CANDIDATES}_without": best_without})
    return pd.DataFrame(rows)


def paired_summary(rows: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per learner and statistic: mean gain of keeping the twins, its 95% CI, W/T/L (0.005)."""
    random = np.random.default_rng(seed)
    table = []
    for learner, part in rows.groupby("learner", sort=False):
        for stat in ("top1", f"best{N_CANDIDATES}"):
            gain = (part[f"{stat}_with"] - part[f"{stat}_without"]).to_numpy()
            draws = random.integers(0, len(gain), size=(n_boot, len(gain)))
            low, high = np.percentile(gain[draws].mean(axis=1), [2.5, 97.5])
            table.append({"learner": learner, "recommendation": stat, "tasks": len(gain),
                          "gain_of_keeping": gain.mean(), "ci_low": low, "ci_high": high,
                          "W/T/L": f"{(gain > 0.005).sum()}/{(abs(gain) <= 0.005).sum()}/"
                                   f"{(gain < -0.005).sum()}"})
    return pd.DataFrame(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", default="local,nearest,ranker")
    parser.add_argument("--kb", default=None, help="knowledge base (default: the shipped one)")
    args = parser.parse_args()
    metadata = MetaData.from_storage(open_storage(args.kb), "classification")
    rows = compare(metadata, args.learners.split(","))
    summary = paired_summary(rows)
    print(f"{len(metadata.task_ids)} classification tasks, "
          f"{len(twins() & set(metadata.task_ids))} of them twins")
    print(summary.to_markdown(index=False, floatfmt="+.4f"))


if __name__ == "__main__":
    main()
