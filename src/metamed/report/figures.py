"""Matplotlib figures for the report, returned as base64 PNG so the HTML needs no files.

Each function takes numbers already computed (by :mod:`metamed.report.curves`
or :mod:`metamed.report.explain`) and only draws them: what a figure shows can be
tested without looking at pixels. Figures are built as bare
``matplotlib.figure.Figure`` objects, outside pyplot: they render to PNG on
servers and CI machines without a display, and the user's own matplotlib
backend (in a notebook, say) is left as it was.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from metamed.report.curves import CalibrationBins, DecisionCurve
from metamed.report.explain import PartialDependence

SIZE = (4.6, 3.6)
COLOURS = colormaps["tab10"].colors


def to_png(figure) -> str:
    """The figure as a base64 PNG string (a bare Figure is freed with its last reference)."""
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _axes(title: str, xlabel: str, ylabel: str, size: tuple[float, float] = SIZE):
    figure = Figure(figsize=size)
    axes = figure.subplots()
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    return figure, axes


def roc_figure(curves: list[tuple[str, np.ndarray, np.ndarray, float]]) -> str:
    """ROC curves: (label, false-positive rate, true-positive rate, AUC) per class view."""
    figure, axes = _axes("ROC curve (outer-CV predictions)", "1 - specificity",
                         "sensitivity")
    for i, (label, fpr, tpr, auc) in enumerate(curves):
        axes.plot(fpr, tpr, color=COLOURS[i % 10], label=f"{label} (AUC {auc:.3f})")
    axes.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance")
    axes.set(xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower right", fontsize=8)
    return to_png(figure)


def pr_figure(curves: list[tuple[str, np.ndarray, np.ndarray, float]],
              prevalences: list[float]) -> str:
    """Precision-recall curves with each class's prevalence (a useless model's precision)."""
    figure, axes = _axes("Precision-recall curve", "recall (sensitivity)", "precision (PPV)")
    for i, ((label, recall, precision, ap), rate) in enumerate(zip(curves, prevalences,
                                                                   strict=True)):
        colour = COLOURS[i % 10]
        axes.step(recall, precision, where="post", color=colour, label=f"{label} (AP {ap:.3f})")
        axes.axhline(rate, ls=":", color=colour, lw=1)
    axes.set(xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="upper right", fontsize=8)
    return to_png(figure)


def calibration_figure(bins: list[tuple[str, CalibrationBins]]) -> str:
    """Observed frequency against mean predicted risk per bin; the diagonal is perfect."""
    figure, axes = _axes("Calibration (quantile bins)", "mean predicted probability",
                         "observed frequency")
    for i, (label, b) in enumerate(bins):
        axes.plot(b.predicted, b.observed, marker="o", color=COLOURS[i % 10], label=label)
    axes.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect")
    axes.set(xlim=(0, 1), ylim=(0, 1))
    axes.legend(loc="upper left", fontsize=8)
    return to_png(figure)


def decision_figure(label: str, curve: DecisionCurve) -> str:
    """Net benefit of the model, treat-all and treat-none over threshold probabilities."""
    figure, axes = _axes(f"Decision curve: {label}", "threshold probability",
                         "net benefit")
    axes.plot(curve.thresholds, curve.model, color=COLOURS[0], lw=2, label="model")
    axes.plot(curve.thresholds, curve.treat_all, color=COLOURS[1], label="treat all")
    axes.plot(curve.thresholds, curve.treat_none, color="black", lw=1, label="treat none")
    top = max(float(np.max(curve.model)), float(np.max(curve.treat_all)), 0.01)
    axes.set(xlim=(0, float(curve.thresholds[-1])), ylim=(-0.05 * top - 0.01, top * 1.1))
    axes.legend(loc="best", fontsize=8)
    return to_png(figure)


def confusion_figure(matrix: np.ndarray, labels: list[str], title: str) -> str:
    """A confusion matrix with counts in the cells (true class in rows)."""
    side = 2.2 + 0.5 * len(labels)
    figure, axes = _axes(title, "predicted", "true", size=(side + 0.8, side))
    axes.grid(False)
    axes.imshow(matrix, cmap="Blues")
    ticks = range(len(labels))
    crowded = len(labels) > 3 or max(len(label) for label in labels) > 8
    axes.set_xticks(ticks, labels, rotation=30 if crowded else 0,
                    ha="right" if crowded else "center")
    axes.set_yticks(ticks, labels)
    limit = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        axes.text(col, row, str(count), ha="center", va="center",
                  color="white" if count > limit else "black")
    return to_png(figure)


def importance_figure(features: list[str], means: np.ndarray, sds: np.ndarray) -> str:
    """Horizontal bars of permutation importance (drop in AUC), largest at the top."""
    height = 1.4 + 0.3 * len(features)
    figure, axes = _axes("Permutation importance", "drop in ROC AUC when shuffled", "",
                         size=(4.8, height))
    positions = np.arange(len(features))[::-1]
    axes.barh(positions, means, xerr=sds, color=COLOURS[0], alpha=0.85)
    axes.set_yticks(positions, [f[:24] for f in features], fontsize=9)
    axes.axvline(0, color="black", lw=0.8)
    return to_png(figure)


def residual_figure(predicted: np.ndarray, residuals: np.ndarray) -> str:
    """A regression's residuals against its predictions, with the zero line."""
    figure, axes = _axes("Residuals", "predicted", "observed − predicted")
    axes.scatter(predicted, residuals, s=8, alpha=0.5, color=COLOURS[0])
    axes.axhline(0, ls="--", color="grey", lw=1)
    return to_png(figure)


def observed_predicted_figure(predicted: np.ndarray, observed: np.ndarray) -> str:
    """Mean observed against mean predicted value per group; the diagonal is perfect."""
    figure, axes = _axes("Calibration (groups of the prediction)", "mean predicted",
                         "mean observed")
    axes.plot(predicted, observed, marker="o", color=COLOURS[0], label="model")
    low, high = min(predicted.min(), observed.min()), max(predicted.max(), observed.max())
    axes.plot([low, high], [low, high], ls="--", color="grey", lw=1, label="perfect")
    axes.legend(loc="upper left", fontsize=8)
    return to_png(figure)


def dependence_figure(pd_: PartialDependence, class_labels: list[str],
                      class_indices: list[int], ylabel: str = "mean predicted probability"
                      ) -> str:
    """Partial dependence of the chosen classes' probability (or the prediction) on a feature."""
    figure, axes = _axes(f"Partial dependence: {pd_.feature}", pd_.feature, ylabel,
                         size=(4.2, 3.2))
    positions = pd_.grid if pd_.kind == "numeric" else np.arange(len(pd_.grid))
    for i, (label, k) in enumerate(zip(class_labels, class_indices, strict=True)):
        values = pd_.mean_proba[:, k]
        if pd_.kind == "numeric":
            axes.plot(positions, values, color=COLOURS[i % 10], label=label)
        else:
            axes.plot(positions, values, marker="o", ls="", color=COLOURS[i % 10], label=label)
    if pd_.kind != "numeric":
        axes.set_xticks(positions, [str(v)[:12] for v in pd_.grid], rotation=30, ha="right")
        axes.set_xlim(-0.5, len(pd_.grid) - 0.5)
    axes.legend(fontsize=7)
    return to_png(figure)


def survival_groups_figure(groups: list[tuple[str, np.ndarray, np.ndarray]],
                           horizons: np.ndarray, predicted: list[np.ndarray]) -> str:
    """Kaplan–Meier curves (label, times, survival) of risk groups, each with its mean
    predicted survival at the horizons as markers (dotted lines mark the horizons)."""
    figure, axes = _axes("Observed survival by predicted risk group", "time since baseline",
                         "event-free survival")
    for t in horizons:
        axes.axvline(t, ls=":", color="grey", lw=1)
    for i, ((label, times, survival), mean) in enumerate(zip(groups, predicted, strict=True)):
        colour = COLOURS[i % 10]
        axes.step(np.r_[0.0, times], np.r_[1.0, survival], where="post", color=colour,
                  label=label)
        axes.plot(horizons, mean, ls="", marker="D", ms=5, color=colour, markeredgecolor="black")
    axes.plot([], [], ls="", marker="D", ms=5, color="white", markeredgecolor="black",
              label="mean predicted")
    axes.set(xlim=(0, None), ylim=(0, 1.02))
    axes.legend(loc="upper right", fontsize=8)
    return to_png(figure)
