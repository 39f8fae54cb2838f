"""How long a candidate will take, learned from the fit times the knowledge base recorded.

Per config, ``log seconds = a + b log_rows + c log_features`` is fitted by
least squares over the KB's tasks (the meta-features' own log scales);
slopes are kept non-negative, since a larger table never makes a fit
cheaper (the KB's times are noisy: its build shared the machine). A config
the KB has not timed gets its model family's fit, else the pooled one. The
search plans its work with these predictions before starting, so what it
evaluates depends on the table, not on how busy the machine happens to be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metamed.knowledge.metadata import MetaData
from metamed.knowledge.metafeatures import METAFEATURE_NAMES

_SIZE = [METAFEATURE_NAMES.index("log_rows"), METAFEATURE_NAMES.index("log_features")]
#: Fewer timed tasks than this and a config borrows its family's (or the pooled) fit.
MIN_POINTS = 10
POOLED = "*"


@dataclass(frozen=True)
class CostModel:
    """Coefficients ``(a, b, c)`` by config hash, by model family, and pooled."""

    coefficients: dict[str, np.ndarray]

    @classmethod
    def from_metadata(cls, metadata: MetaData) -> CostModel:
        """Fit on the KB's fold times; a KB without times predicts 1 s per fold."""
        if metadata.seconds is None or not metadata.task_ids:
            return cls({POOLED: np.zeros(3)})
        sizes = metadata.metafeatures[:, _SIZE]
        families = np.array([c["model"]["name"] for c in metadata.configs])
        groups = {POOLED: np.ones(len(families), dtype=bool)}
        groups |= {str(f): families == f for f in np.unique(families)}
        groups |= {h: np.arange(len(families)) == j for j, h in enumerate(metadata.config_hashes)}
        coefficients = {}
        for key, columns in groups.items():
            times = metadata.seconds[:, columns]
            if (np.isfinite(times) & (times > 0)).sum() >= MIN_POINTS:
                coefficients[key] = _fit(sizes, times)
        return cls(coefficients)

    def seconds(self, config: dict, digest: str, metafeatures: np.ndarray) -> float:
        """Predicted seconds of one CV fold of ``config`` (hash ``digest``) on this table."""
        fallback = self.coefficients.get(config["model"]["name"], self.coefficients[POOLED])
        a = self.coefficients.get(digest, fallback)
        return float(np.exp(a @ np.r_[1.0, metafeatures[_SIZE]]))


def _fit(sizes: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Least squares of log time on the sizes with non-negative slopes, over every finite time."""
    rows, columns = np.nonzero(np.isfinite(times) & (times > 0))
    x, y = sizes[rows], np.log(times[rows, columns])
    solution, *_ = np.linalg.lstsq(np.c_[np.ones(len(y)), x], y, rcond=None)
    slopes = np.clip(solution[1:], 0.0, None)
    return np.r_[np.mean(y - x @ slopes), slopes]
