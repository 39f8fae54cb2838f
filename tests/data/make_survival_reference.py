"""Reference survival metrics from scikit-survival for ``tests/test_survival_metrics.py``.

scikit-survival is the independent implementation. It is not a dependency of
metamed (GPL, and it pins scikit-learn's minor version), so run this script in
a throwaway environment outside the repository, from the repository root::

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install scikit-survival SurvSet
    /tmp/refvenv/bin/python tests/data/make_survival_reference.py

It writes ``tests/data/survival_reference.json`` (about 100 KB). For each real
cohort of SurvSet (veteran, pbc, GBSG2) it splits the patients in half (seeded;
the longest-followed patient goes to training so that the censoring curve of
the training half covers every test time), fits a plain Cox model
(``CoxPHSurvivalAnalysis``, Breslow ties, tiny ridge) on the training half and
stores, for the test half: times, events, the Cox risk score, ``S(t | x)`` at
three horizons, and scikit-survival's Kaplan–Meier curves, Harrell's and Uno's
C, cumulative/dynamic AUC (one score per patient and one per horizon), Brier
scores and the integrated Brier score, with the censoring distribution taken
from the test half itself (``self``) and from the training half (``train``).
For calibration it stores ``1 - KM(t)`` and the coefficient of a Cox model
refitted on ``log(-log S(t | x))`` with follow-up cut at ``t``.

Every value is computed twice: on the original times, and on ``untied`` times
where each censoring time equal to some event time is moved 0.001 later.
scikit-survival weighs an event at ``T`` by ``1 / G(T)`` and metamed by
``1 / G(T-)``; they agree exactly once nobody is censored at an event's time.
Horizons sit at half-days so the move never crosses one.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import (
    brier_score,
    concordance_index_censored,
    concordance_index_ipcw,
    cumulative_dynamic_auc,
    integrated_brier_score,
)
from sksurv.nonparametric import CensoringDistributionEstimator, kaplan_meier_estimator
from sksurv.util import Surv
from SurvSet.data import SurvLoader

COHORTS = ("veteran", "pbc", "GBSG2")
SEED = 20240611
UNTIE = 1e-3
OUT = Path(__file__).with_name("survival_reference.json")


def design(frame: pd.DataFrame) -> np.ndarray:
    """Numeric columns as they are, factors one-hot with the first level dropped."""
    features = frame.drop(columns=["pid", "event", "time"])
    factors = [c for c in features if c.startswith("fac_")]
    coded = pd.get_dummies(features, columns=factors, drop_first=True, dtype=float)
    return coded.astype(float).to_numpy()


def untie(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Move censoring times that equal an event time slightly later."""
    tied = ~event & np.isin(time, time[event])
    return np.where(tied, time + UNTIE, time)


def split(n: int, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    is_train = np.random.default_rng(SEED).permutation(n) < n // 2
    is_train[np.argmax(time)] = True
    return is_train, ~is_train


def horizons(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    return np.floor(np.percentile(time[event], [25, 50, 75])) + 0.5


def sksurv_metrics(train, test, risk, surv, times) -> dict:
    """scikit-survival's value of every metric; ``train`` is the censoring data."""
    harrell = concordance_index_censored(test["event"], test["time"], risk)
    auc, mean_auc = cumulative_dynamic_auc(train, test, risk, times)
    auc_2d, mean_auc_2d = cumulative_dynamic_auc(train, test, 1 - surv, times)
    return {
        "harrell": list(map(float, harrell)),
        "uno": float(concordance_index_ipcw(train, test, risk)[0]),
        "uno_tau": float(concordance_index_ipcw(train, test, risk, tau=times[-1])[0]),
        "auc": auc.tolist(), "mean_auc": float(mean_auc),
        "auc_2d": auc_2d.tolist(), "mean_auc_2d": float(mean_auc_2d),
        "brier": brier_score(train, test, surv, times)[1].tolist(),
        "ibs": float(integrated_brier_score(train, test, surv, times)),
    }


def curves(test) -> dict:
    """Kaplan–Meier of the events and of the censoring, as scikit-survival estimates them."""
    km_time, km = kaplan_meier_estimator(test["event"], test["time"])
    cens = CensoringDistributionEstimator().fit(test)
    return {"km_time": km_time.tolist(), "km": km.tolist(),
            "g_time": cens.unique_time_[1:].tolist(), "g": cens.prob_[1:].tolist()}


def calibration(test, surv, times) -> dict:
    """1 - KM(t) and the Cox coefficient of log(-log S(t | x)) with follow-up cut at t."""
    km_time, km = kaplan_meier_estimator(test["event"], test["time"])
    observed, slope = [], []
    for k, t in enumerate(times):
        observed.append(1 - float(km[np.searchsorted(km_time, t, side="right") - 1]))
        cut = Surv.from_arrays(test["event"] & (test["time"] <= t), np.minimum(test["time"], t))
        x = np.log(-np.log(np.clip(surv[:, k], 1e-12, 1 - 1e-12)))[:, None]
        cox = CoxPHSurvivalAnalysis(alpha=0.0, ties="breslow", tol=1e-12).fit(x, cut)
        slope.append(float(cox.coef_[0]))
    return {"observed": observed, "slope": slope}


def cohort(name: str) -> dict:
    frame = SurvLoader().load_dataset(name)["df"]
    time, event = frame["time"].to_numpy(float), frame["event"].to_numpy() == 1
    x = design(frame)
    is_train, is_test = split(len(frame), time)
    mean, std = x[is_train].mean(axis=0), x[is_train].std(axis=0)
    x = (x - mean) / np.where(std > 0, std, 1)
    train_y = Surv.from_arrays(event[is_train], time[is_train])
    cox = CoxPHSurvivalAnalysis(alpha=1e-4, ties="breslow").fit(x[is_train], train_y)
    times = horizons(time[is_test], event[is_test])
    risk = cox.predict(x[is_test])
    surv = np.array([fn(times) for fn in cox.predict_survival_function(x[is_test])])
    untied = untie(time, event)
    values = {}
    for label, t in (("original", time), ("untied", untied)):
        train = Surv.from_arrays(event[is_train], t[is_train])
        test = Surv.from_arrays(event[is_test], t[is_test])
        values[label] = {"self": sksurv_metrics(test, test, risk, surv, times),
                         "train": sksurv_metrics(train, test, risk, surv, times)}
    test = Surv.from_arrays(event[is_test], time[is_test])
    values["curves"] = curves(test)
    values["calibration"] = calibration(test, surv, times)
    return {
        "name": name, "times": times.tolist(),
        "test": {"time": time[is_test].tolist(), "untied_time": untied[is_test].tolist(),
                 "event": event[is_test].astype(int).tolist(), "risk": risk.tolist(),
                 "surv": surv.tolist()},
        "train": {"time": time[is_train].tolist(), "untied_time": untied[is_train].tolist(),
                  "event": event[is_train].astype(int).tolist()},
        "sksurv": values,
    }


def main() -> None:
    reference = {"scikit-survival": version("scikit-survival"),
                 "cohorts": [cohort(name) for name in COHORTS]}
    OUT.write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
