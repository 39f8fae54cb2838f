"""Survival metrics: agreement with scikit-survival on real cohorts, and properties.

The reference values come from ``tests/data/make_survival_reference.py``
(scikit-survival on SurvSet's veteran, pbc and GBSG2, see its docstring).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from metamed.survival.metrics import (
    brier_score,
    calibration_at,
    censoring_kaplan_meier,
    cox_coefficient,
    harrell_c,
    integrated_brier_score,
    kaplan_meier,
    step_at,
    time_dependent_auc,
    uno_c,
)

REFERENCE = json.loads(Path(__file__).with_name("data").joinpath(
    "survival_reference.json").read_text())
COHORTS = {cohort["name"]: cohort for cohort in REFERENCE["cohorts"]}


def arrays(name: str, times: str = "time") -> dict:
    """One cohort's test half (with ``times`` as follow-up) and its training half."""
    cohort = COHORTS[name]
    test, train = cohort["test"], cohort["train"]
    return {"time": np.array(test[times]), "event": np.array(test["event"]),
            "risk": np.array(test["risk"]), "surv": np.array(test["surv"]),
            "times": np.array(cohort["times"]), "train_time": np.array(train[times]),
            "train_event": np.array(train["event"])}


def ipcw_metrics(data: dict, censoring: str) -> dict:
    """metamed's IPCW metrics, with G from the test half (``self``) or the training half."""
    d = data
    kw = {} if censoring == "self" else {"train_time": d["train_time"],
                                         "train_event": d["train_event"]}
    auc = time_dependent_auc(d["time"], d["event"], d["risk"], d["times"], **kw)
    auc_2d = time_dependent_auc(d["time"], d["event"], 1 - d["surv"], d["times"], **kw)
    return {
        "uno": uno_c(d["time"], d["event"], d["risk"], **kw),
        "uno_tau": uno_c(d["time"], d["event"], d["risk"], tau=d["times"][-1], **kw),
        "auc": auc.auc, "mean_auc": auc.mean_auc,
        "auc_2d": auc_2d.auc, "mean_auc_2d": auc_2d.mean_auc,
        "brier": [brier_score(d["time"], d["event"], d["surv"][:, k], t, **kw)
                  for k, t in enumerate(d["times"])],
        "ibs": integrated_brier_score(d["time"], d["event"], d["surv"], d["times"], **kw),
    }


def simulate(n: int, seed: int, censored: bool = True, beta: float = 1.0):
    """Exponential proportional hazards, hazard exp(beta * x), uniform censoring."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    event_time = rng.exponential(np.exp(-beta * x))
    if not censored:
        return x, event_time, np.ones(n, dtype=int)
    censor_time = rng.uniform(0, 3, n)
    return x, np.minimum(event_time, censor_time), (event_time <= censor_time).astype(int)


# -- agreement with scikit-survival on real cohorts ---------------------------------------------


@pytest.mark.parametrize("name", COHORTS)
def test_kaplan_meier_curves_match_sksurv(name):
    d, expected = arrays(name), COHORTS[name]["sksurv"]["curves"]
    times, survival = kaplan_meier(d["time"], d["event"])
    np.testing.assert_array_equal(times, expected["km_time"])
    np.testing.assert_allclose(survival, expected["km"], rtol=0, atol=1e-12)
    times, censoring = censoring_kaplan_meier(d["time"], d["event"])
    np.testing.assert_array_equal(times, expected["g_time"])
    np.testing.assert_allclose(censoring, expected["g"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", COHORTS)
def test_harrell_c_matches_sksurv_including_tied_times(name):
    d = arrays(name)
    expected = COHORTS[name]["sksurv"]["original"]["self"]["harrell"][0]
    assert harrell_c(d["time"], d["event"], d["risk"]) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("censoring", ["self", "train"])
@pytest.mark.parametrize("name", COHORTS)
def test_ipcw_metrics_match_sksurv_when_nobody_is_censored_at_an_event_time(name, censoring):
    """On untied times sksurv's 1/G(T) equals our 1/G(T-): every IPCW metric agrees."""
    expected = COHORTS[name]["sksurv"]["untied"][censoring]
    ours = ipcw_metrics(arrays(name), censoring)
    for metric, value in ours.items():
        np.testing.assert_allclose(value, expected[metric], rtol=0, atol=1e-9, err_msg=metric)


@pytest.mark.parametrize("censoring", ["self", "train"])
@pytest.mark.parametrize("name", COHORTS)
def test_moving_tied_censoring_just_later_changes_nothing_for_metamed(name, censoring):
    """With G(T-), a censoring at an event's time already counts as after the event."""
    original = ipcw_metrics(arrays(name), censoring)
    untied = ipcw_metrics(arrays(name, times="untied_time"), censoring)
    for metric, value in original.items():
        np.testing.assert_allclose(value, untied[metric], rtol=0, atol=1e-12, err_msg=metric)


@pytest.mark.parametrize("censoring", ["self", "train"])
@pytest.mark.parametrize("name", COHORTS)
def test_uno_c_differs_from_sksurv_exactly_when_censoring_ties_an_event(name, censoring):
    """sksurv weighs an event by 1/G(T), dropping G for those censored at T itself."""
    d = arrays(name)
    source = "" if censoring == "self" else "train_"
    censored_at = d[source + "time"][d[source + "event"] == 0]
    tied = np.isin(d["time"][d["event"] == 1], censored_at).any()
    expected = COHORTS[name]["sksurv"]["original"][censoring]["uno"]
    gap = abs(ipcw_metrics(d, censoring)["uno"] - expected)
    assert gap > 1e-6 if tied else gap < 1e-12


def test_reference_covers_both_tied_and_untied_censoring():
    d = arrays("veteran")
    assert not np.isin(d["time"][d["event"] == 1], d["time"][d["event"] == 0]).any()
    d = arrays("GBSG2")
    assert np.isin(d["time"][d["event"] == 1], d["time"][d["event"] == 0]).any()


@pytest.mark.parametrize("name", COHORTS)
def test_calibration_matches_sksurv_kaplan_meier_and_cox_refit(name):
    d, expected = arrays(name), COHORTS[name]["sksurv"]["calibration"]
    for k, t in enumerate(d["times"]):
        result = calibration_at(d["time"], d["event"], d["surv"][:, k], t)
        assert result.observed == pytest.approx(expected["observed"][k], abs=1e-12)
        assert result.expected == pytest.approx(np.mean(1 - d["surv"][:, k]), abs=1e-12)
        assert result.oe_ratio == pytest.approx(result.observed / result.expected)
        assert result.slope == pytest.approx(expected["slope"][k], abs=1e-8)


# -- properties -----------------------------------------------------------------------------------


def test_perfect_reversed_and_random_risk_give_one_zero_and_one_half():
    _, time, event = simulate(20_000, seed=0)
    for metric in (harrell_c, uno_c):
        assert metric(time, event, -time) == 1.0
        assert metric(time, event, time) == 0.0
        random = np.random.default_rng(1).normal(size=time.size)
        assert metric(time, event, random) == pytest.approx(0.5, abs=0.02)
        assert metric(time, event, np.zeros(time.size)) == 0.5


def brute_force_harrell(time, event, risk) -> float:
    """The documented pair rule, one pair at a time."""
    score = pairs = 0.0
    for i in np.flatnonzero(event):
        for j in range(len(time)):
            if time[j] > time[i] or (time[j] == time[i] and not event[j]):
                pairs += 1
                score += 1.0 if risk[j] < risk[i] else 0.5 if risk[j] == risk[i] else 0.0
    return score / pairs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.booleans(), st.integers(0, 3)),
                min_size=2, max_size=40))
def test_harrell_c_equals_the_pair_by_pair_definition_with_many_ties(rows):
    time, event, risk = (np.array(column) for column in zip(*rows, strict=True))
    try:
        expected = brute_force_harrell(time, event, risk)
    except ZeroDivisionError:
        with pytest.raises(ValueError, match="no comparable pairs"):
            harrell_c(time, event, risk)
        return
    assert harrell_c(time, event, risk) == pytest.approx(expected, abs=1e-12)


def test_uno_c_without_censoring_is_harrell_c():
    x, time, event = simulate(500, seed=2, censored=False)
    assert uno_c(time, event, x) == pytest.approx(harrell_c(time, event, x), abs=1e-12)


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    _, time, event = simulate(300, seed=3, censored=False)
    times, survival = kaplan_meier(time, event)
    grid = np.linspace(0.01, time.max() - 0.01, 50)
    np.testing.assert_allclose(step_at(times, survival, grid),
                               [(time > g).mean() for g in grid], atol=1e-12)
    np.testing.assert_array_equal(censoring_kaplan_meier(time, event)[1], 1.0)


def test_step_functions_are_right_continuous_with_a_left_limit():
    times, survival = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 0])
    assert step_at(times, survival, [0.5, 2, 2.5]).tolist() == [1.0, 0.5, 0.5]
    assert step_at(times, survival, 2, left_limit=True) == 0.75


def test_brier_of_the_kaplan_meier_prediction_without_censoring_is_p_times_1_minus_p():
    _, time, event = simulate(400, seed=4, censored=False)
    t = float(np.median(time))
    p = float(step_at(*kaplan_meier(time, event), t))
    assert brier_score(time, event, np.full(time.size, p), t) == pytest.approx(p * (1 - p))


def test_ipcw_brier_without_censoring_is_the_plain_brier():
    x, time, event = simulate(400, seed=5, censored=False)
    t = 0.7
    surv = np.exp(-t * np.exp(x))
    plain = np.mean(((time > t) - surv) ** 2)
    assert brier_score(time, event, surv, t) == pytest.approx(plain, abs=1e-12)


def test_auc_without_censoring_is_the_roc_auc_of_event_by_t():
    x, time, event = simulate(400, seed=6, censored=False)
    times = np.array([0.3, 0.8, 1.5])
    result = time_dependent_auc(time, event, x, times)
    expected = [roc_auc_score(time <= t, x) for t in times]
    np.testing.assert_allclose(result.auc, expected, atol=1e-12)
    single = time_dependent_auc(time, event, x, times[:1])
    assert single.mean_auc == pytest.approx(single.auc[0])


def test_calibration_of_the_true_model_is_ideal_and_of_a_doubled_one_is_half():
    x, time, event = simulate(6000, seed=7)
    t = 1.0
    true = calibration_at(time, event, np.exp(-t * np.exp(x)), t)
    assert true.slope == pytest.approx(1.0, abs=0.08)
    assert true.oe_ratio == pytest.approx(1.0, abs=0.05)
    doubled = calibration_at(time, event, np.exp(-t * np.exp(2 * x)), t)
    assert doubled.slope == pytest.approx(0.5, abs=0.04)


def test_cox_coefficient_recovers_the_simulated_log_hazard_ratio():
    x, time, event = simulate(6000, seed=8, beta=0.7)
    assert cox_coefficient(time, event, x) == pytest.approx(0.7, abs=0.05)


# -- input errors ---------------------------------------------------------------------------------

TIME, EVENT, RISK = np.array([1.0, 2, 3, 4]), np.array([1, 0, 1, 0]), np.array([4.0, 3, 2, 1])
SURV = np.array([0.2, 0.5, 0.6, 0.9])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: harrell_c(TIME, EVENT[:3], RISK), "one event flag per patient"),
    (lambda: harrell_c(TIME, [1, 2, 0, 1], RISK), "event must be 0/1"),
    (lambda: harrell_c([-1, 2, 3, 4], EVENT, RISK), "greater than 0"),
    (lambda: harrell_c(TIME, EVENT, RISK[:3]), "risk has shape"),
    (lambda: harrell_c(TIME, EVENT, [np.nan, 1, 2, 3]), "NaN"),
    (lambda: harrell_c(TIME, [0, 0, 0, 0], RISK), "no comparable pairs"),
    (lambda: uno_c(TIME, EVENT, RISK, tau=9), "tau=9"),
    (lambda: uno_c(TIME, EVENT, RISK, train_time=TIME), "both train_time and train_event"),
    (lambda: brier_score(TIME, EVENT, SURV, 4), "at or after the last observed time 4"),
    (lambda: brier_score(TIME, EVENT, SURV, 5), "choose a smaller t"),
    (lambda: brier_score(TIME, EVENT, SURV + 0.5, 2), "between 0 and 1"),
    (lambda: brier_score(TIME, EVENT, SURV, 3.5, train_time=[1, 2, 3], train_event=[1, 0, 1]),
     "after the last observed time 3"),
    (lambda: brier_score(TIME, EVENT, SURV, 3.5, train_time=[1, 2], train_event=[1, 0]),
     "censoring distribution reaches 0"),
    (lambda: time_dependent_auc(TIME, EVENT, RISK, [0.5, 2]), "no event is observed by t=0.5"),
    (lambda: time_dependent_auc(TIME, EVENT, RISK, [2, 1.5]), "strictly increasing"),
    (lambda: time_dependent_auc(TIME, EVENT, np.ones((4, 3)), [1.5, 2]), r"\(4, 2\)"),
    (lambda: integrated_brier_score(TIME, EVENT, SURV, [1.5, 2]), "one column per time"),
    (lambda: integrated_brier_score(TIME, EVENT, SURV[:, None], [2]), "at least two"),
    (lambda: calibration_at(TIME, EVENT, SURV, 0), "greater than 0"),
    (lambda: cox_coefficient(TIME, EVENT, np.ones(4)), "covariate that varies"),
])
def test_invalid_input_is_refused_with_a_clear_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()
