"""Metrics of a predicted number (length of stay, a lab value, birth weight).

The calibration names are shared with classification on purpose: in a
clinical validation report both are read the same way. The *slope* is the
coefficient of the outcome regressed on the prediction (1 is ideal; < 1
means predictions spread too far, the usual sign of overfitting), and
*calibration-in-the-large* is the mean outcome minus the mean prediction
(0 is ideal), here stored under ``calibration_intercept`` as for
classification, where it is the same quantity on the logit scale.
"""

from __future__ import annotations

import numpy as np

REGRESSION_HIGHER_IS_BETTER: dict[str, bool | None] = {
    "r2": True,
    "rmse": False,
    "mae": False,
    "calibration_slope": None,
    "calibration_intercept": None,
}
REGRESSION_METRIC_NAMES = tuple(REGRESSION_HIGHER_IS_BETTER)
REGRESSION_LABELS = {
    "r2": "R²",
    "rmse": "RMSE",
    "mae": "MAE",
}


def regression_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Every metric of :data:`REGRESSION_METRIC_NAMES`; ``predicted`` is (n,) or (n, 1)."""
    predicted = np.asarray(predicted, dtype=float).reshape(len(y))
    residual = y - predicted
    spread = np.sum((y - y.mean()) ** 2)
    centred = predicted - predicted.mean()
    variance = np.sum(centred**2)
    return {
        "r2": float(1 - np.sum(residual**2) / spread) if spread > 0 else float("nan"),
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "mae": float(np.mean(np.abs(residual))),
        "calibration_slope": float(np.sum(centred * y) / variance) if variance > 0
        else float("nan"),
        "calibration_intercept": float(residual.mean()),
    }
