"""The survival model's honest-performance section: on the veteran lung-cancer trial, the user
sees Kaplan–Meier curves by predicted risk, the horizons, calibration at each horizon and the
baseline survival that turns a risk score into S(t)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from metamed.evaluation.baseline import verdict
from metamed.evaluation.intervals import Interval, bootstrap_intervals, paired_intervals
from metamed.evaluation.scoring import Scorer
from metamed.kinds import SURVIVAL, kind_of
from metamed.report.survival import survival_performance_section
from metamed.survival.metrics import time_dependent_auc
from metamed.survival.models import CoxRidge

HORIZONS = (30.0, 90.0, 180.0)


def _veteran() -> tuple[np.ndarray, np.ndarray]:
    """Standardised covariates and (time, event) of the veteran trial (137 patients)."""
    from SurvSet.data import SurvLoader

    df = SurvLoader().load_dataset("veteran")["df"]
    X = pd.get_dummies(df.drop(columns=["pid", "time", "event"]), drop_first=True, dtype=float)
    X = X.to_numpy(dtype=float)
    return (X - X.mean(0)) / X.std(0), df[["time", "event"]].to_numpy(dtype=float)


def _outer_cv(X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Out-of-fold risk and S(t) at the horizons from a 5-fold CV of the Cox model."""
    oof = np.empty((len(y), 1 + len(HORIZONS)))
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        cox = CoxRidge(alpha=alpha).fit(X[train], y[train])
        oof[test, 0] = cox.predict(X[test])
        oof[test, 1:] = cox.predict_survival(X[test], HORIZONS)
    return oof


def _baseline_survival(cox: CoxRidge) -> dict:
    """What MetaSurvival reports for a Cox-type final model: S0(t) and its reference score."""
    index = np.searchsorted(cox.baseline_times_, HORIZONS, side="right") - 1
    return {"at_risk_score": float(cox.risk_offset_),
            "survival": {f"{t:g}": float(np.exp(-cox.baseline_cumhaz_[i]))
                         for t, i in zip(HORIZONS, index, strict=True)}}


@pytest.fixture(scope="module")
def fitted():
    """A stand-in for a fitted MetaSurvival, with real out-of-fold predictions and intervals."""
    X, y = _veteran()
    oof, cox_oof = _outer_cv(X, y, alpha=0.1), _outer_cv(X, y, alpha=0.01)
    scorer = Scorer("survival", horizons=HORIZONS)
    comparison = paired_intervals(y, oof, cox_oof, scorer, n_boot=50)
    final = CoxRidge(alpha=0.1).fit(X, y)
    model = SimpleNamespace(
        task_type="survival", outer_splits=5, horizons_=HORIZONS,
        task_summary_={"horizons": list(HORIZONS)}, oof_predictions_=oof, oof_target_=y,
        cv_results_=bootstrap_intervals(y, oof[None], scorer, n_boot=50),
        baseline_comparison_=comparison, verdict_=verdict(comparison, SURVIVAL), kind_=SURVIVAL,
        baseline_survival_=_baseline_survival(final))
    return model, X, final


def _km(time: np.ndarray, event: np.ndarray, t: float) -> float:
    """Kaplan–Meier survival at t, written out as the product over event times."""
    s = 1.0
    for u in np.unique(time[event == 1]):
        if u <= t:
            s *= 1 - np.sum((time == u) & (event == 1)) / np.sum(time >= u)
    return s


def test_the_section_is_the_survival_records_performance_part():
    assert kind_of("survival").part("performance_section") is survival_performance_section


def test_km_curves_by_predicted_risk_third_with_the_horizons_marked(fitted):
    model, *_ = fitted
    html = survival_performance_section(model).body
    tag = re.search(r'<figure data-kind="km-groups"([^>]*)>\s*<img[^>]*src="data:image/png;'
                    r'base64,([^"]+)"', html)
    assert tag and len(tag.group(2)) > 1000
    assert 'data-groups="3.0"' in tag.group(1) and 'data-horizons="30, 90, 180"' in tag.group(1)
    assert "t = 30, 90, 180" in html
    for t in ("30", "90", "180"):
        assert f"observed S({t})" in html and f"<td>{t}</td>" in html
    # the highest third of predicted risk dies sooner, and its mean predicted S is shown
    time, event = model.oof_target_.T
    risk, survival = model.oof_predictions_[:, 0], model.oof_predictions_[:, 1:]
    thirds = np.array_split(np.argsort(risk, kind="stable"), 3)
    low, high = (_km(time[g], event[g], 90.0) for g in (thirds[0], thirds[2]))
    assert high < low
    assert f"{survival[thirds[2], 1].mean():.3f}" in html and f"{high:.3f}" in html


def test_calibration_at_each_horizon_shows_observed_over_expected(fitted):
    model, *_ = fitted
    html = survival_performance_section(model).body
    time, event = model.oof_target_.T
    for k, t in enumerate(HORIZONS):
        observed = 1 - _km(time, event, t)
        expected = np.mean(1 - model.oof_predictions_[:, 1 + k])
        for number in (observed, expected, observed / expected):
            assert f"{number:.3f}" in html, (t, number)
        oe = model.cv_results_[f"oe@{t:g}"]
        assert f"{oe.low:.3f} – {oe.high:.3f}" in html
        auc = model.cv_results_[f"auc@{t:g}"]
        assert f"{auc.estimate:.3f}" in html
    assert "Harrell" in html and "Time-dependent AUC".lower() in html.lower()
    assert model.verdict_ in html and "the Cox model" in html


def test_the_baseline_survival_and_its_formula_give_the_models_own_prediction(fitted):
    model, X, final = fitted
    html = survival_performance_section(model).body
    assert "TRIPOD 15a" in html and "S0(t)" in html
    reference = float(re.search(r"c = ([-0-9.e+]+) is the risk score", html).group(1))
    printed = dict(re.findall(r'<tr><td>([0-9]+)</td><td class="num">([-0-9.e+]+)</td></tr>',
                              html.split("TRIPOD 15a")[1]))
    s0 = {t: float(printed[f"{t:g}"]) for t in HORIZONS}
    assert s0 == pytest.approx({t: model.baseline_survival_["survival"][f"{t:g}"]
                                for t in HORIZONS}, rel=1e-5)
    # S(t | x) = S0(t) ^ exp(lp(x) - c), with the numbers as printed, is the model's S(t | x)
    lp = final.predict(X[:5])
    by_formula = np.array([[s0[t] ** np.exp(r - reference) for t in HORIZONS] for r in lp])
    assert by_formula == pytest.approx(final.predict_survival(X[:5], HORIZONS), rel=1e-4)


def test_without_outer_cv_the_section_says_honest_performance_is_unknown(fitted):
    model, *_ = fitted
    bare = SimpleNamespace(**{**vars(model), "oof_predictions_": None, "cv_results_": {},
                              "baseline_survival_": None})
    html = survival_performance_section(bare).body
    assert "0 outer folds, so there is no honest estimate" in html
    assert "<figure" not in html and "O/E" not in html
    assert "no single baseline survival" in html


def test_missing_or_differently_named_results_are_shown_from_the_predictions(fitted):
    model, *_ = fitted
    renamed = {"harrell_c": model.cv_results_["harrell_c"],
               "oe_at_90": Interval(1.01, 0.9, 1.1)}
    partial = SimpleNamespace(**{**vars(model), "cv_results_": renamed})
    html = survival_performance_section(partial).body
    assert "0.900 – 1.100" in html and "Uno" not in html
    assert html.count('data-kind="km-groups"') == 1
    time, event = model.oof_target_.T
    auc = time_dependent_auc(time, event, model.oof_predictions_[:, 0], [30.0]).auc[0]
    assert f"<tr><td>30</td><td class=\"num\">{auc:.3f}</td><td class=\"num\">–</td>" in html
