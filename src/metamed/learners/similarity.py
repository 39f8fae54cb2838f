"""Which known tasks a new task resembles, in the meta-feature space.

Meta-features live on very different scales (log rows, shares, entropies),
so they are robust-standardised (median / IQR over known tasks) and clipped
before distances are taken; similarity is ``1 / (1 + distance / sqrt(d))``,
1 for an identical description.
"""

from __future__ import annotations

import numpy as np

from metamed.knowledge.metadata import MetaData

CLIP = 5.0


class TaskSpace:
    """Robust-standardised meta-feature space of the known tasks."""

    def __init__(self, metafeatures: np.ndarray) -> None:
        self.center = np.median(metafeatures, axis=0)
        spread = np.subtract(*np.percentile(metafeatures, [75, 25], axis=0))
        self.scale = np.where(spread > 0, spread, 1.0)
        self.known = self.transform(metafeatures)

    def transform(self, metafeatures: np.ndarray) -> np.ndarray:
        return np.clip((metafeatures - self.center) / self.scale, -CLIP, CLIP)

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Similarity of ``vector`` to each known task, in (0, 1]."""
        distance = np.linalg.norm(self.known - self.transform(vector), axis=1)
        return 1.0 / (1.0 + distance / np.sqrt(self.known.shape[1]))


def config_ranks(scores: np.ndarray) -> np.ndarray:
    """Rank of each config within each task (1 = best score; failures rank last)."""
    filled = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-filled, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)
    return ranks


def neighbour_rationale(metadata: MetaData, neighbours: np.ndarray, similarity: np.ndarray,
                        ranks: np.ndarray, config: int) -> str:
    """'3 most similar known tasks: pima (0.91) ..., where this config ranked 2nd, 1st, 4th'."""
    names = ", ".join(f"{metadata.task_ids[t]} ({similarity[t]:.2f} similarity)"
                      for t in neighbours)
    places = ", ".join(_ordinal(int(ranks[t, config])) for t in neighbours)
    return (f"{len(neighbours)} most similar known tasks: {names}; this config ranked "
            f"{places} of {ranks.shape[1]} there")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
