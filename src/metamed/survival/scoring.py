"""The metrics of a survival task: a survival scorer's suite (:mod:`metamed.evaluation.scoring`).

Predictions of a survival task are one row per patient: the risk score
(column 0, higher means an earlier event) and the predicted survival
``S(t | x)`` at each of the task's horizons (columns 1..H); the target is
(time, event). Harrell's C ranks candidates; Uno's C (truncated at the last
horizon), the time-dependent AUC, the IPCW Brier score and calibration
(observed / expected, slope) at each horizon, and the Brier score
integrated over the horizons describe the rest. A metric that is undefined
on some rows (a bootstrap resample followed to no horizon) is NaN there,
never an error: intervals skip it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from metamed.survival import metrics as sm

#: Per-horizon metrics, named ``metric@t`` in results.
_AT = ("auc", "brier", "oe")
#: The metrics every survival task has, whatever its horizons (the KB's score columns).
SURVIVAL_METRIC_NAMES = ("harrell_c", "uno_c", "integrated_brier", "calibration_slope")


def _safe(metric: Callable[[], float]) -> float:
    """The metric, or NaN where it is undefined on these rows (ValueError, no pair, no event)."""
    try:
        value = float(metric())
    except (ValueError, ZeroDivisionError, FloatingPointError):
        return float("nan")
    return value


class SurvivalMetrics:
    """Discrimination, overall accuracy and calibration of risk and survival predictions."""

    higher_is_better = {"harrell_c": True, "uno_c": True, "integrated_brier": False,
                        "calibration_slope": None, "auc": True, "brier": False, "oe": None}
    labels = {"harrell_c": "Harrell's C", "uno_c": "Uno's C (to the last horizon)",
              "integrated_brier": "Integrated Brier score (over the horizons)",
              "calibration_slope": "Calibration slope at the middle horizon (ideal 1)",
              "auc": "Time-dependent AUC", "brier": "Brier score (IPCW)",
              "oe": "Observed / expected events (ideal 1)"}

    @staticmethod
    def names_for(scorer) -> tuple[str, ...]:
        at = tuple(f"{m}@{t:g}" for m in _AT for t in scorer.horizons)
        return (*SURVIVAL_METRIC_NAMES, *at)

    @staticmethod
    def primary_score(target: np.ndarray, predictions: np.ndarray, scorer) -> float:
        return _safe(lambda: sm.harrell_c(target[:, 0], target[:, 1], predictions[:, 0]))

    @staticmethod
    def loss(target: np.ndarray, predictions: np.ndarray, scorer) -> float:
        """What a greedy ensemble lowers: the integrated Brier score (NaN counts as worst)."""
        value = SurvivalMetrics._integrated(target, predictions, scorer)
        return value if np.isfinite(value) else float("inf")

    @staticmethod
    def slope(target: np.ndarray, predictions: np.ndarray, scorer) -> float:
        middle = len(scorer.horizons) // 2
        return _safe(lambda: sm.calibration_at(target[:, 0], target[:, 1],
                                               predictions[:, 1 + middle],
                                               scorer.horizons[middle]).slope)

    @staticmethod
    def all(target: np.ndarray, predictions: np.ndarray, scorer) -> dict[str, float]:
        time, event = target[:, 0], target[:, 1]
        risk, horizons = predictions[:, 0], scorer.horizons
        found = {
            "harrell_c": SurvivalMetrics.primary_score(target, predictions, scorer),
            "uno_c": _safe(lambda: sm.uno_c(time, event, risk, tau=horizons[-1])),
            "integrated_brier": SurvivalMetrics._integrated(target, predictions, scorer),
            "calibration_slope": SurvivalMetrics.slope(target, predictions, scorer),
        }
        for k, t in enumerate(horizons):
            surv = predictions[:, 1 + k]
            found[f"auc@{t:g}"] = _safe(
                lambda t=t: sm.time_dependent_auc(time, event, risk, [t]).auc[0])
            found[f"brier@{t:g}"] = _safe(lambda t=t, s=surv: sm.brier_score(time, event, s, t))
            found[f"oe@{t:g}"] = _safe(
                lambda t=t, s=surv: sm.calibration_at(time, event, s, t).oe_ratio)
        return found

    @staticmethod
    def _integrated(target: np.ndarray, predictions: np.ndarray, scorer) -> float:
        if len(scorer.horizons) < 2:
            return float("nan")
        return _safe(lambda: sm.integrated_brier_score(target[:, 0], target[:, 1],
                                                       predictions[:, 1:], scorer.horizons))
