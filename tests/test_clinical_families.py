"""The clinical statistician's candidates: penalised LR by inner CV, splines, a glass-box EBM."""

import numpy as np
import pytest

from metamed.space import named_config
from metamed.space.models import InnerCVLogistic, SizedEBM
from metamed.space.splines import RestrictedCubicSplines, SplineLogistic, _basis


def test_restricted_cubic_splines_are_linear_beyond_the_outer_knots():
    x = np.linspace(-3, 3, 601)
    knots = np.quantile(x, (0.05, 0.35, 0.65, 0.95))
    basis = _basis(x, knots)
    bend = np.abs(np.diff(basis, 2, axis=0))
    inside = (x[1:-1] > knots[0]) & (x[1:-1] < knots[-1])
    assert basis.shape == (601, 2)
    assert bend[x[1:-1] > knots[-1] + 0.01].max() < 1e-9  # linear tails: the natural spline
    assert bend[x[1:-1] < knots[0] - 0.01].max() < 1e-9
    assert bend[inside].max() > 1e-6  # and cubic between the knots


def test_only_columns_with_enough_distinct_values_get_spline_terms():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=100), rng.integers(0, 2, 100), rng.integers(0, 5, 100)]
    splines = RestrictedCubicSplines(n_knots=4).fit(X)
    assert list(splines.knots_) == [0]  # the indicator and the 5-level score stay linear
    assert splines.transform(X).shape == (100, 3 + 2)


def test_splines_capture_a_u_shaped_risk_that_plain_logistic_regression_misses():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 1))
    y = (x[:, 0] ** 2 + rng.normal(0, 0.5, 600) > 1).astype(int)
    spline = SplineLogistic().fit(x[:400], y[:400]).predict_proba(x[400:])[:, 1]
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    linear = LogisticRegression().fit(x[:400], y[:400]).predict_proba(x[400:])[:, 1]
    assert roc_auc_score(y[400:], spline) > 0.85 > roc_auc_score(y[400:], linear) + 0.2


def test_inner_cv_logistic_chooses_its_penalty_and_survives_a_class_of_one():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 30))
    y = (X[:, 0] + rng.normal(size=120) > 0).astype(int)
    model = InnerCVLogistic(n_cs=10).fit(X, y)
    assert model.estimator_.C_ in set(np.logspace(-4, 4, 10))
    tiny = np.r_[np.zeros(19), 1].astype(int)
    assert InnerCVLogistic().fit(X[:20], tiny).predict_proba(X[:3]).shape == (3, 2)


@pytest.mark.parametrize("columns,classes,expected", [(5, 2, 10), (60, 2, 0), (5, 3, 0)])
def test_the_ebm_drops_pairwise_terms_where_they_cost_too_much(columns, classes, expected):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, columns))
    y = np.arange(90) % classes
    model = SizedEBM(outer_bags=2, interactions=10).fit(X, y)
    assert model.estimator_.interactions == expected
    assert model.predict_proba(X[:4]).shape == (4, classes)


def test_the_new_families_are_named_baselines():
    for name in ("logreg_cv", "spline_lr", "ebm"):
        assert named_config(name)["model"]["name"] == name
