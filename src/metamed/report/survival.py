"""The report's honest-performance section for a time-to-event (survival) model.

As for the other task types, everything honest comes from the outer-CV
predictions (``oof_predictions_``: the risk score, then ``S(t | x)`` at each
horizon) and the observed outcome (``oof_target_``: follow-up time, event):
the metrics with their intervals, the paired difference from the Cox model,
Kaplan–Meier curves of the patients in each third of predicted risk with the
group's mean predicted survival marked at the horizons (a marker on its curve
is a group calibrated in the large), the time-dependent AUC and Brier score
at each horizon, and calibration at each horizon: the risk observed by then
(1 − Kaplan–Meier) against the mean predicted risk, and their ratio O/E.

The last part is not honest but descriptive (TRIPOD item 15a): the final
model's baseline survival ``S0(t)`` at the horizons, which with the model's
risk score gives any patient's predicted survival.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from metamed.evaluation.intervals import Interval
from metamed.evaluation.scoring import Scorer
from metamed.report import figures as fig
from metamed.report import html as h
from metamed.report.performance import baseline_table
from metamed.survival import metrics as sm

#: Groups of the Kaplan–Meier plot, by out-of-fold predicted risk (thirds).
RISK_GROUPS = 3
GROUP_NAMES = ("lowest third of risk", "middle third of risk", "highest third of risk")
#: Metrics reported once per horizon, as ``name@t`` (older files: ``name_at_t``).
PER_HORIZON = ("auc", "brier", "oe")


def survival_performance_section(model) -> h.Section:
    """Metrics with CIs, the verdict against the Cox model, Kaplan–Meier curves by predicted
    risk group, discrimination and calibration at each horizon, and the baseline survival."""
    title = "Honest performance"
    horizons = _horizons(model)
    baseline = _baseline_survival(model)
    if model.oof_predictions_ is None or not model.cv_results_:
        return h.Section("performance", title, h.paragraph(
            "The model was fit with 0 outer folds, so there is no honest estimate: its "
            "discrimination and calibration on new patients are unknown. Refit with outer folds "
            "(the default) before using or reporting this model.", "warn") + baseline)
    target = np.asarray(model.oof_target_, dtype=float)
    time, event = target[:, 0], target[:, 1].astype(bool)
    predictions = np.asarray(model.oof_predictions_, dtype=float)
    risk, survival = predictions[:, 0], predictions[:, 1:1 + len(horizons)]
    at = ", ".join(f"{t:g}" for t in horizons)
    intro = (f"Every number and plot below comes from {getattr(model, 'outer_splits', 'k')}-fold "
             "outer cross-validation of the whole procedure: for each fold, pipelines were "
             "recommended, searched and fit without that fold's patients, whose risk and "
             "survival were then predicted. Intervals are 95% percentile bootstrap intervals "
             f"over patients. Survival is predicted and scored at the horizons t = {at} (in "
             f"the units of the follow-up time); {int(event.sum())} of {len(time)} patients "
             "had the event.")
    groups = risk_groups(risk)
    body = [h.paragraph(intro), _summary_table(model), baseline_table(model),
            h.figures([_groups_figure(time, event, survival, horizons, groups)]),
            _groups_table(time, event, survival, horizons, groups),
            _discrimination_table(model, time, event, risk, survival, horizons),
            _calibration_table(model, time, event, survival, horizons), baseline]
    return h.Section("performance", title, "".join(body))


def risk_groups(risk: np.ndarray, groups: int = RISK_GROUPS) -> list[np.ndarray]:
    """Row indices of groups of (nearly) equal size by increasing risk."""
    return np.array_split(np.argsort(risk, kind="stable"), min(groups, len(risk)))


def _horizons(model) -> tuple[float, ...]:
    found = getattr(model, "horizons_", None)
    if found is None:
        found = model.task_summary_.get("horizons", ())
    return tuple(float(t) for t in found)


def _find(results: Mapping[str, Interval], metric: str, t: float) -> Interval | None:
    """The per-horizon result ``metric`` at ``t``, whichever way its name was written."""
    for name in (f"{metric}@{t:g}", f"{metric}_at_{t:g}", f"{metric}@{t}", f"{metric}_at_{t}"):
        if name in results:
            return results[name]
    return None


def _per_horizon(name: str) -> bool:
    return "@" in name or any(name.startswith(f"{m}_at_") for m in PER_HORIZON)


def _label(scorer: Scorer, name: str) -> str:
    """The metric in words with which direction is better (the name itself if unknown)."""
    try:
        label, better = scorer.label(name), scorer.higher_is_better(name)
    except KeyError:
        return name.replace("_", " ")
    arrow = {True: " (higher is better)", False: " (lower is better)", None: ""}[better]
    return label + arrow


def _ci(interval: Interval | None) -> str:
    return "–" if interval is None else f"{interval.low:.3f} – {interval.high:.3f}"


def _estimate(interval: Interval | None) -> float:
    return float("nan") if interval is None else float(interval.estimate)


def _summary_table(model) -> str:
    """The metrics over the whole follow-up (those per horizon have their own tables)."""
    scorer = Scorer(model.task_type)
    rows = [[_label(scorer, name), interval.estimate, _ci(interval)]
            for name, interval in model.cv_results_.items() if not _per_horizon(name)]
    return h.table(["metric", "estimate", "95% CI"], rows, numeric={1, 2})


def _km_at(time: np.ndarray, event: np.ndarray, horizons: tuple[float, ...]) -> np.ndarray:
    """Kaplan–Meier survival at each horizon; NaN where the curve is not defined (no one
    followed that long, or too few patients)."""
    try:
        curve = sm.kaplan_meier(time, event)
    except ValueError:
        return np.full(len(horizons), np.nan)
    values = []
    for t in horizons:
        try:
            values.append(float(sm.step_at(*curve, t)))
        except ValueError:
            values.append(float("nan"))
    return np.array(values)


def _groups_figure(time, event, survival, horizons, groups) -> h.Figure:
    curves = [(f"{name} (n = {len(rows)})", *sm.kaplan_meier(time[rows], event[rows]))
              for name, rows in zip(GROUP_NAMES, groups, strict=False)]
    predicted = [survival[rows].mean(axis=0) for rows in groups]
    horizon_text = ", ".join(f"{t:g}" for t in horizons)
    return h.Figure(
        "km-groups", fig.survival_groups_figure(curves, np.asarray(horizons), predicted),
        "Observed survival (Kaplan–Meier steps) of the patients in each third of the "
        "out-of-fold predicted risk; diamonds are each group's mean predicted survival at the "
        f"horizons t = {horizon_text} (dotted lines). A diamond on its own curve means the "
        "group's risk is right on average (calibration-in-the-large); well separated curves "
        "mean good discrimination.",
        {"groups": float(len(groups)), "horizons": horizon_text,
         "events": float(event.sum())})


def _groups_table(time, event, survival, horizons, groups) -> str:
    """Observed (Kaplan–Meier) and mean predicted survival of each risk group at each horizon."""
    header = ["risk group", "patients", "events"]
    for t in horizons:
        header += [f"observed S({t:g})", f"predicted S({t:g})"]
    rows = []
    for name, index in zip(GROUP_NAMES, groups, strict=False):
        observed, predicted = _km_at(time[index], event[index], horizons), survival[index].mean(0)
        row: list[object] = [name, len(index), int(event[index].sum())]
        for o, p in zip(observed, predicted, strict=True):
            row += [float(o), float(p)]
        rows.append(row)
    return h.paragraph("The numbers behind the plot: each group's observed survival "
                       "(Kaplan–Meier) and mean predicted survival at each horizon.",
                       "muted") + h.table(header, rows, numeric=set(range(1, len(header))))


def _discrimination_table(model, time, event, risk, survival, horizons) -> str:
    """Time-dependent AUC and Brier score per horizon: the honest interval when the fit
    recorded one, else computed from the out-of-fold predictions (no interval)."""
    rows = []
    for k, t in enumerate(horizons):
        auc, brier = _find(model.cv_results_, "auc", t), _find(model.cv_results_, "brier", t)
        auc_value = _estimate(auc) if auc is not None else _safe(
            lambda t=t: sm.time_dependent_auc(time, event, risk, [t]).auc[0])
        brier_value = _estimate(brier) if brier is not None else _safe(
            lambda k=k, t=t: sm.brier_score(time, event, survival[:, k], t))
        rows.append([f"{t:g}", auc_value, _ci(auc), brier_value, _ci(brier)])
    intro = ("Discrimination at each horizon: the time-dependent AUC is the chance that a "
             "patient with the event by t was given a higher risk than one still event-free "
             "after t (0.5 is chance); the Brier score is the squared error of the predicted "
             "survival at t (lower is better). Both weight patients by the inverse probability "
             "of remaining uncensored.")
    return h.paragraph(intro) + h.table(
        ["horizon t", "time-dependent AUC", "95% CI", "Brier score", "95% CI"], rows,
        numeric={1, 2, 3, 4})


def _calibration_table(model, time, event, survival, horizons) -> str:
    """Observed risk by t (1 − Kaplan–Meier) against the mean predicted risk, O/E and slope."""
    rows = []
    for k, t in enumerate(horizons):
        found = calibration_at(time, event, survival[:, k], t)
        rows.append([f"{t:g}", found.observed, found.expected, found.oe_ratio,
                     _ci(_find(model.cv_results_, "oe", t)), found.slope])
    intro = ("Calibration at each horizon, from the out-of-fold predictions: the share of "
             "patients with the event by t (1 − Kaplan–Meier) against the mean predicted risk "
             "(1 − S(t)). O/E above 1 means risk is under-predicted, below 1 over-predicted; a "
             "slope below 1 means predictions are too extreme, above 1 too modest.")
    return h.paragraph(intro) + h.table(
        ["horizon t", "observed risk (1 − KM)", "mean predicted risk", "O/E", "95% CI of O/E",
         "calibration slope"], rows, numeric={1, 2, 3, 4, 5})


def calibration_at(time, event, surv_at_t, t: float) -> sm.SurvivalCalibration:
    """:func:`metamed.survival.metrics.calibration_at`, with the slope NaN when it cannot be
    fitted and every number NaN when the horizon is not identifiable."""
    try:
        return sm.calibration_at(time, event, surv_at_t, t)
    except ValueError:
        observed = 1.0 - _km_at(time, event, (t,))[0]
        expected = float(np.mean(1.0 - np.asarray(surv_at_t, dtype=float)))
        ratio = observed / expected if expected > 0 else float("nan")
        return sm.SurvivalCalibration(float(t), observed, expected, ratio, float("nan"))


def _safe(metric) -> float:
    try:
        return float(metric())
    except ValueError:
        return float("nan")


def _baseline_survival(model) -> str:
    """TRIPOD 15a: the final model's ``S0(t)`` at the horizons and how to use it."""
    found = getattr(model, "baseline_survival_", None)
    heading = "<h3>Baseline survival of the final model (TRIPOD 15a)</h3>"
    if not found:
        return heading + h.paragraph(
            "The final model has no single baseline survival (it is a blend of models, or a "
            "model without a baseline hazard), so a patient's S(t) is only available from the "
            "saved model (predict_survival).", "muted")
    survival = found.get("survival", found)
    reference = found.get("at_risk_score") if "survival" in found else None
    # six significant digits: S0(t) refers to one risk score and may be tiny; rounded to
    # three decimals it could not be raised to a power
    rows = [[f"{float(t):g}", f"{float(s):.6g}"] for t, s in survival.items()]
    centring = (f"c = {float(reference):.6g} is the risk score that S0(t) refers to (the "
                "survival of a patient with that score)"
                if reference is not None else "c is the risk score that S0(t) refers to "
                "(the model's centring)")
    sentence = ("The final model (refit on all patients; not an honest estimate) gives a "
                "patient's predicted survival from the model's S0(t) and linear predictor "
                "(its risk score, lp): S(t | x) = S0(t) ^ exp(lp(x) − c), where " + centring
                + ". Between horizons, use the saved model's predict_survival.")
    return heading + h.paragraph(sentence) + h.table(["horizon t", "baseline survival S0(t)"],
                                                     rows, numeric={1})
