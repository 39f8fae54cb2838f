"""The report's honest-performance section: intervals, curves, thresholds, net benefit.

Everything here is computed from ``oof_proba_`` / ``oof_target_``: each row's
probability comes from a model chosen and fit without that row, so the
curves show what to expect on new patients from the same population.
"""

from __future__ import annotations

import numpy as np

from metamed.evaluation.baseline import difference_rows
from metamed.evaluation.scoring import Scorer
from metamed.report import curves
from metamed.report import figures as fig
from metamed.report import html as h

#: Classes beyond which multiclass decision curves and threshold tables are not drawn.
MAX_CLASS_VIEWS = 8


def performance_section(model) -> h.Section:
    """Metrics with CIs, then ROC, PR, calibration, confusion matrix and decision curves."""
    positive = model.state_.positive_index
    title = "Honest performance"
    if model.oof_proba_ is None or not model.cv_results_:
        return h.Section("performance", title, h.paragraph(
            "The model was fit with 0 outer folds, so there is no honest estimate and no curve. "
            "Refit with outer folds (the default) before using or reporting this model.", "warn"))
    labels = [str(c) for c in model.classes_]
    codes, proba = np.asarray(model.oof_target_, dtype=int), np.asarray(model.oof_proba_)
    views = curves.binary_views(codes, proba, labels, positive)
    intro = (f"Every number and curve below comes from {model.outer_splits}-fold outer "
             "cross-validation of the whole procedure: for each fold, pipelines were "
             "recommended, searched and fit without that fold's patients, which were then "
             "predicted. Intervals are 95% percentile bootstrap intervals over patients.")
    if positive is None:
        intro += (f" With {len(labels)} classes, binary views (ROC, precision-recall, "
                  "calibration, thresholds, net benefit) are one-vs-rest for each class, and "
                  "summary metrics are macro-averaged over classes.")
    shown = (_curve_figures(model, views) + [_confusion(codes, proba, labels, positive)]
             + _decision_figures(views))
    body = [h.paragraph(intro), metrics_table(model), _threshold_note(model),
            baseline_table(model), h.figures(shown)]
    body.append(_threshold_tables(views, positive))
    return h.Section("performance", title, "".join(body))


def metrics_table(model) -> str:
    """The honest metrics with their 95% CIs and which direction is better."""
    scorer = Scorer(model.task_type)
    rows = []
    for name, interval in model.cv_results_.items():
        arrow = {True: " (higher is better)", False: " (lower is better)", None: ""}[
            scorer.higher_is_better(name)]
        rows.append([scorer.label(name) + arrow, interval.estimate,
                     f"{interval.low:.3f} – {interval.high:.3f}"])
    return h.table(["metric", "estimate", "95% CI"], rows, numeric={1, 2})


def _threshold_note(model) -> str:
    note = ("Threshold-based metrics (accuracy, sensitivity, specificity, precision, F1) use "
            "the default rule: positive when its probability is at least 0.5"
            if len(model.classes_) == 2 else
            "Threshold-based metrics use the most probable class")
    return h.paragraph(note + "; the threshold table below shows other choices.", "muted")


def baseline_table(model) -> str:
    """The paired difference from the baseline (plain LR, tuned ridge) on the same outer folds."""
    rows = difference_rows(model.baseline_comparison_, model.task_type)
    baseline = model.kind_.baseline_refit_words
    intro = (f"The whole procedure minus {baseline} refit on the same outer folds; 95% paired "
             "bootstrap intervals (both scored on the same resampled patients). Verdict: "
             + model.verdict_)
    return h.paragraph(intro) + h.table(["metric", "difference", "95% CI"], rows, numeric={1, 2})


def _curve_figures(model, views: list[curves.BinaryView]) -> list[h.Figure]:
    """ROC, precision-recall and calibration curves, with the numbers they show."""
    roc, pr, bins, prevalences = [], [], [], []
    for view in views:
        fpr, tpr = curves.roc_curve(view.is_positive, view.score)
        recall, precision = curves.pr_curve(view.is_positive, view.score)
        roc.append((view.label, fpr, tpr, curves.area(fpr, tpr)))
        pr.append((view.label, recall, precision, curves.average_precision(recall, precision)))
        bins.append((view.label, curves.calibration_bins(view.is_positive, view.score)))
        prevalences.append(float(np.mean(view.is_positive)))
    plotted_auc = float(np.mean([auc for *_, auc in roc]))
    plotted_ap = float(np.mean([ap for *_, ap in pr]))
    which = "" if len(views) == 1 else " (one-vs-rest per class; the reported AUC is their mean)"
    return [
        h.Figure("roc", fig.roc_figure(roc), f"ROC curve{which}. The dashed diagonal is a "
                 "model no better than chance.",
                 {"auc": plotted_auc, "auc-reported": model.cv_results_["roc_auc"].estimate,
                  "curves": float(len(roc))}),
        h.Figure("pr", fig.pr_figure(pr, prevalences), "Precision-recall curve; dotted lines "
                 "mark the prevalence (the precision of a useless model).", {"ap": plotted_ap}),
        h.Figure("calibration", fig.calibration_figure(bins), "Calibration: points on the "
                 "diagonal mean predicted risks match observed frequencies; below it, risks "
                 "are over-estimated. Each point is a tenth of the patients.",
                 {"bins": float(sum(len(b.predicted) for _, b in bins))}),
    ]


def _confusion(codes: np.ndarray, proba: np.ndarray, labels: list[str],
               positive: int | None) -> h.Figure:
    """Binary: at the 0.5 threshold on the positive class; otherwise the most probable class."""
    if positive is None:
        matrix = curves.multiclass_confusion(codes, proba)
        title, rule = "Confusion matrix (most probable class)", "the most probable class"
    else:
        c = curves.confusion_at(codes == positive, proba[:, positive], curves.DEFAULT_THRESHOLD)
        negative = 1 - positive
        matrix = np.zeros((2, 2), dtype=int)
        matrix[negative, negative], matrix[negative, positive] = c["tn"], c["fp"]
        matrix[positive, negative], matrix[positive, positive] = c["fn"], c["tp"]
        title = f"Confusion matrix (threshold {curves.DEFAULT_THRESHOLD})"
        rule = f"'{labels[positive]}' when its probability is at least {curves.DEFAULT_THRESHOLD}"
    return h.Figure("confusion", fig.confusion_figure(matrix, labels, title),
                    f"Outer-CV predictions against the truth; predicted class: {rule}.",
                    {"total": float(matrix.sum())})


def _decision_figures(views: list[curves.BinaryView]) -> list[h.Figure]:
    items = []
    for view in views[:MAX_CLASS_VIEWS]:
        curve = curves.decision_curve(view.is_positive, view.score)
        runs = _runs(curve.thresholds, curve.model > np.maximum(curve.treat_all, 0) + 1e-9)
        span = (f"The model beats both defaults at thresholds {runs}." if runs else
                "The model does not beat both treat-all and treat-none at any threshold.")
        items.append(h.Figure(
            "decision", fig.decision_figure(view.label, curve),
            f"Decision curve for '{view.label}': net benefit of acting when the predicted risk "
            f"exceeds the threshold, against treating everyone and no one. {span}",
            {"prevalence": float(np.mean(view.is_positive))}))
    return items


def _runs(thresholds: np.ndarray, better: np.ndarray) -> str:
    """Contiguous threshold ranges where ``better`` holds, e.g. '0.08–0.59, 0.72–0.80'."""
    ranges, start = [], None
    for i, flag in enumerate(better):
        if flag and start is None:
            start = i
        if start is not None and (not flag or i == len(better) - 1):
            end = i if flag else i - 1
            ranges.append(f"{thresholds[start]:.2f}" if end == start else
                          f"{thresholds[start]:.2f}–{thresholds[end]:.2f}")
            start = None
    return ", ".join(ranges)


def _threshold_tables(views: list[curves.BinaryView], positive: int | None) -> str:
    header = ["threshold", "sensitivity", "specificity", "PPV", "NPV", "flagged", "TP", "FP",
              "TN", "FN"]
    chosen = curves.TABLE_THRESHOLDS.index(curves.DEFAULT_THRESHOLD)
    parts = ["<h3>Thresholds</h3>", h.paragraph(
        "What happens if patients are flagged when their predicted risk is at least the "
        "threshold (outer-CV predictions; the highlighted row is the default rule). Lower "
        "thresholds find more cases at the cost of more false alarms.", "muted")]
    for view in views[:MAX_CLASS_VIEWS]:
        rows = [[f"{r['threshold']:.2f}", r["sensitivity"], r["specificity"], r["ppv"], r["npv"],
                 r["flagged"], r["tp"], r["fp"], r["tn"], r["fn"]]
                for r in curves.threshold_table(view.is_positive, view.score)]
        table = h.table(header, rows, numeric=set(range(10)),
                        highlight={chosen} if positive is not None else set())
        if positive is None:
            table = (f"<details><summary>{h.esc(view.label)} vs the rest</summary>"
                     f"{table}</details>")
        parts.append(table)
    return "".join(parts)
