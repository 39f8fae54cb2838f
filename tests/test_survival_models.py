"""Survival models: given a censored cohort, the user gets Cox-like risks and survival curves.

The reference numbers (``tests/data/cox_reference.json``) come from
statsmodels' ``PHReg`` on SurvSet's veteran lung-cancer trial; see
``tests/data/make_cox_reference.py``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from SurvSet.data import SurvLoader

from metamed.space.splines import RestrictedCubicSplines
from metamed.survival.models import (
    CoxElasticNet,
    CoxRidge,
    XGBCox,
    breslow_baseline,
    check_survival_target,
    survival_curves,
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "cox_reference.json").read_text())
#: Reference column -> column of ``pd.get_dummies(drop_first=True)`` on SurvSet's veteran.
COLUMNS = {"trt": "fac_trt_2", "smallcell": "fac_celltype_smallcell",
           "adeno": "fac_celltype_adeno", "large": "fac_celltype_large", "karno": "num_karno",
           "diagtime": "num_diagtime", "age": "num_age", "prior": "fac_prior_10"}
COLUMNS_INDEX = {name: i for i, name in enumerate(COLUMNS)}


def harrell_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C, O(n^2): pairs with an event before the other's time; risk ties count 1/2."""
    comparable = (time[:, None] < time[None, :]) & (event[:, None] == 1)
    concordant = (risk[:, None] > risk[None, :]) + 0.5 * (risk[:, None] == risk[None, :])
    return float((comparable * concordant).sum() / comparable.sum())


@pytest.fixture(scope="module")
def veteran() -> tuple[np.ndarray, np.ndarray]:
    """Veteran's design in the reference's column order (squamous the reference cell type)."""
    df = SurvLoader().load_dataset("veteran")["df"]
    factors = pd.get_dummies(df.filter(like="fac_"), drop_first=True, dtype=float)
    X = pd.concat([df.filter(like="num_").astype(float), factors], axis=1)
    assert list(COLUMNS) == REFERENCE["columns"]
    X = X[list(COLUMNS.values())].to_numpy()
    return X, np.column_stack([df["time"], df["event"]]).astype(float)


@pytest.fixture(scope="module")
def scaled_veteran(veteran) -> tuple[np.ndarray, np.ndarray]:
    X, y = veteran
    return StandardScaler().fit_transform(X), y


def test_cox_ridge_reproduces_statsmodels_breslow_fit(veteran):
    X, y = veteran
    model = CoxRidge(alpha=1e-12).fit(X, y)
    breslow = REFERENCE["breslow"]
    np.testing.assert_allclose(model.coef_, breslow["coef"], rtol=1e-6, atol=1e-8)
    assert model.log_likelihood_ == pytest.approx(breslow["log_partial_likelihood"], abs=1e-8)
    # The baseline is at x = 0 of the raw (uncentred) design, as statsmodels reports it.
    cumhaz = model.predict_cumulative_hazard(np.zeros((1, X.shape[1])), breslow["baseline_times"])
    np.testing.assert_allclose(cumhaz[0], breslow["baseline_cumhaz"], rtol=1e-6)


def test_cox_ridge_is_within_a_tenth_of_a_standard_error_of_r_coxph(veteran):
    # R's published table uses Efron's ties; Breslow's moves no coefficient by 0.1 SE here.
    X, y = veteran
    model = CoxRidge(alpha=1e-12).fit(X, y)
    gap = np.abs(model.coef_ - REFERENCE["r_coxph_efron_published"]) / REFERENCE["breslow"]["se"]
    assert gap.max() < 0.1
    assert model.coef_[COLUMNS_INDEX["karno"]] == pytest.approx(-0.0328, abs=0.001)



def test_breslow_baseline_is_a_right_continuous_step_function():
    time = np.array([2.0, 3.0, 3.0, 5.0, 8.0])
    event = np.array([1.0, 1.0, 0.0, 1.0, 0.0])
    times, cumhaz, offset = breslow_baseline(np.zeros(5), time, event)
    # At risk: 5 at t=2, 4 at t=3 (one death), 2 at t=5: the Nelson-Aalen estimator.
    np.testing.assert_allclose(times, [2.0, 3.0, 5.0])
    np.testing.assert_allclose(cumhaz, np.cumsum([1 / 5, 1 / 4, 1 / 2]))
    assert offset == 0.0


@pytest.mark.parametrize("make", [lambda: CoxRidge(), lambda: CoxElasticNet(l1_ratio=0.5),
                                  lambda: XGBCox(n_estimators=50)],
                         ids=["ridge", "elastic-net", "xgb"])
def test_survival_curves_are_probabilities_that_never_rise(make, scaled_veteran):
    X, y = scaled_veteran
    model = make().fit(X, y)
    first, last = model.baseline_times_[0], model.baseline_times_[-1]
    times = np.r_[0.5, first - 1e-9, first, np.linspace(first, last, 40), last, last + 1000]
    survival = model.predict_survival(X, times)
    assert survival.shape == (len(X), len(times))
    assert np.all((survival >= 0) & (survival <= 1))
    assert np.all(np.diff(survival, axis=1) <= 0)
    assert np.all(survival[:, :2] == 1.0)  # before the first event time
    assert np.all(survival[:, 2] < 1.0)  # right-continuous: the first step is taken at it
    np.testing.assert_array_equal(survival[:, -1], survival[:, -2])  # held beyond the last
    # Higher risk, lower survival at every time.
    order = np.argsort(model.predict(X))
    assert np.all(np.diff(survival[order, len(times) // 2]) <= 1e-12)


def test_cox_ridge_cross_validated_concordance_matches_published_values(veteran):
    X, y = veteran
    scores = []
    for seed in range(3):
        for train, test in KFold(5, shuffle=True, random_state=seed).split(X):
            model = make_pipeline(StandardScaler(), CoxRidge(alpha=0.01)).fit(X[train], y[train])
            scores.append(harrell_c(y[test, 0], y[test, 1], model.predict(X[test])))
    assert 0.69 < np.mean(scores) < 0.75  # published 5-fold Cox on veteran: ~0.70-0.74


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.3])
def test_elastic_net_without_l1_is_cox_ridge(alpha, scaled_veteran):
    X, y = scaled_veteran
    ridge = CoxRidge(alpha=alpha).fit(X, y)
    net = CoxElasticNet(alpha=alpha, l1_ratio=0.0).fit(X, y)
    np.testing.assert_allclose(net.coef_, ridge.coef_, atol=1e-6)
    np.testing.assert_allclose(net.predict_survival(X, [30, 100]),
                               ridge.predict_survival(X, [30, 100]), atol=1e-6)
    if alpha:
        assert np.linalg.norm(ridge.coef_) < np.linalg.norm(CoxRidge(alpha=0).fit(X, y).coef_)


def test_lasso_solution_satisfies_the_optimality_conditions(scaled_veteran):
    X, y = scaled_veteran
    n, time, event = len(X), y[:, 0], y[:, 1]

    def score(coef):  # gradient of the mean log partial likelihood (Breslow), by brute force
        weight = np.exp(X @ coef)
        at_risk = time[None, :] >= time[:, None]
        mean = (at_risk * weight) @ X / (at_risk @ weight)[:, None]
        return (event[:, None] * (X - mean)).sum(axis=0) / n

    alpha_max = np.abs(score(np.zeros(X.shape[1]))).max()
    assert not CoxElasticNet(alpha=alpha_max * 1.001, l1_ratio=1.0).fit(X, y).coef_.any()
    model = CoxElasticNet(alpha=alpha_max * 0.2, l1_ratio=1.0).fit(X, y)
    alpha, coef, gradient = model.alpha, model.coef_, score(model.coef_)
    active = coef != 0
    assert 0 < active.sum() < len(coef)
    np.testing.assert_allclose(gradient[active], alpha * np.sign(coef[active]), atol=1e-6)
    assert np.all(np.abs(gradient[~active]) <= alpha + 1e-9)


def test_restricted_cubic_splines_feed_cox_ridge_in_a_pipeline(veteran):
    X, y = veteran
    linear = make_pipeline(StandardScaler(), CoxRidge(alpha=1e-6)).fit(X, y)
    spline = Pipeline([("splines", RestrictedCubicSplines(n_knots=4)),
                       ("scale", StandardScaler()), ("cox", CoxRidge(alpha=1e-6))]).fit(X, y)
    # karno, diagtime and age get two spline terms each; the indicators stay linear.
    assert sorted(spline["splines"].knots_) == [4, 5, 6]
    assert spline["cox"].n_features_in_ == X.shape[1] + 6
    # The linear model is nested in the spline model, so its fit is never better.
    assert spline["cox"].log_likelihood_ > linear[-1].log_likelihood_
    # A Pipeline only forwards scikit-learn's own methods: survival curves go through a helper.
    assert not hasattr(spline, "predict_survival")
    survival = survival_curves(spline, X[:5], [30, 100, 300])
    np.testing.assert_array_equal(
        survival, spline["cox"].predict_survival(spline[:-1].transform(X[:5]), [30, 100, 300]))
    assert survival.shape == (5, 3) and np.all(np.diff(survival, axis=1) <= 0)


def test_xgb_cox_risk_is_the_boosters_margin(scaled_veteran):
    import xgboost

    X, y = scaled_veteran
    model = XGBCox(n_estimators=100, learning_rate=0.05, max_depth=3).fit(X, y)
    signed = np.where(y[:, 1] == 1, y[:, 0], -y[:, 0])
    booster = xgboost.XGBRegressor(objective="survival:cox", n_estimators=100,
                                   learning_rate=0.05, max_depth=3, tree_method="hist",
                                   random_state=0, n_jobs=1).fit(X, signed)
    margin = booster.predict(X, output_margin=True)
    np.testing.assert_allclose(model.predict(X), margin, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.argsort(model.predict(X), kind="stable"),
                                  np.argsort(margin, kind="stable"))
    assert harrell_c(y[:, 0], y[:, 1], model.predict(X)) > 0.7


def test_cox_ridge_recovers_true_coefficients_on_2000_by_50():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 50))
    truth = np.r_[0.8, -0.5, 0.3, np.zeros(47)]
    event_time = rng.exponential(np.exp(-X @ truth))
    censor_time = rng.exponential(2.0, size=2000)
    y = np.column_stack([np.minimum(event_time, censor_time), event_time <= censor_time])
    model = CoxRidge(alpha=1e-4).fit(X, y)
    assert np.abs(model.coef_ - truth).max() < 0.1
    assert model.n_iter_ < 20


@pytest.mark.parametrize(("y", "message"), [
    (np.ones(5), r"\(n, 2\) array .* got shape \(5,\)"),
    (np.ones((5, 3)), r"got shape \(5, 3\)"),
    (np.ones((4, 2)), "y has 4 rows but X has 5"),
    (np.array([[1, 1], [0, 1], [2, 0], [3, 1], [4, 0]]), r"> 0; 1 of 5 are not \(first: 0\)"),
    (np.array([[1, 1], [-2, 1], [2, 0], [3, 1], [np.nan, 0]]), "> 0; 2 of 5 are not"),
    (np.array([[1, 1], [2, 2], [2, 0], [3, 1], [4, 0]]), r"1 \(event\) or 0 \(censored\)"),
    (np.array([[1, 0], [2, 0], [2, 0], [3, 0], [4, 0]]), "no events"),
    ([["a", 1]] * 5, "numeric"),
])
@pytest.mark.parametrize("model", [CoxRidge(), CoxElasticNet(), XGBCox()],
                         ids=["ridge", "elastic-net", "xgb"])
def test_a_bad_target_is_refused_in_one_sentence(model, y, message):
    with pytest.raises(ValueError, match=message):
        model.fit(np.zeros((5, 2)), y)


def test_check_survival_target_returns_time_and_event():
    time, event = check_survival_target([[2.5, 1], [4, 0]])
    np.testing.assert_array_equal(time, [2.5, 4.0])
    np.testing.assert_array_equal(event, [1.0, 0.0])


def test_estimators_clone_and_refuse_misuse(scaled_veteran):
    X, y = scaled_veteran
    net = CoxElasticNet(alpha=0.2, l1_ratio=0.3).set_params(max_iter=50)
    twin = clone(net)
    assert twin.get_params() == {"alpha": 0.2, "l1_ratio": 0.3, "max_iter": 50, "tol": 1e-10}
    assert clone(XGBCox(max_depth=5)).get_params()["max_depth"] == 5
    with pytest.raises(NotFittedError):
        twin.predict_survival(X, [10])
    fitted = twin.fit(X, y)
    assert not hasattr(clone(fitted), "coef_")
    with pytest.raises(ValueError, match="X has 3 columns but the model was fitted on 8"):
        fitted.predict(X[:, :3])
    with pytest.raises(ValueError, match="l1_ratio must be between 0 and 1"):
        CoxElasticNet(l1_ratio=2).fit(X, y)


@pytest.mark.parametrize("make", [CoxRidge, CoxElasticNet, lambda: XGBCox(n_estimators=20)],
                         ids=["ridge", "elastic-net", "xgb"])
def test_fitted_state_is_plain_data_that_skops_round_trips(make, scaled_veteran):
    import skops.io as sio

    X, y = scaled_veteran
    model = make().fit(X, y)
    learned = {k: v for k, v in vars(model).items() if k.endswith("_")}
    assert all(isinstance(v, np.ndarray | float | int) for v in learned.values()), learned
    data = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted == [f"metamed.survival.models.{type(model).__name__}"]
    loaded = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_survival(X, [30, 300]),
                                  model.predict_survival(X, [30, 300]))


def test_cox_ridge_with_more_columns_than_rows_reaches_the_full_optimum():
    from metamed.survival.models import _RiskSets

    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 300))
    y = np.c_[rng.exponential(size=40) + 0.01, rng.random(40) < 0.7]
    model = CoxRidge(alpha=0.1).fit(X, y)
    sets = _RiskSets(X, y[:, 0], y[:, 1].astype(float))
    gradient, _ = sets.derivatives(sets.X @ model.coef_)
    assert model.coef_.shape == (300,) and np.abs(model.coef_).max() > 1e-3
    np.testing.assert_allclose(gradient / 40 - 0.1 * model.coef_, 0, atol=1e-6)
