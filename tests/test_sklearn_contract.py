"""MetaClassifier and MetaRegressor follow scikit-learn's estimator contract (its own checks)."""

import warnings

from sklearn.utils.estimator_checks import check_estimator

from metamed.automl.estimator import MetaClassifier, MetaRegressor

#: Checks that cannot apply, and why.
EXPECTED_FAILURES = {
    "check_array_api_input": "the array API is not supported: pipelines need pandas tables",
}


def test_metaclassifier_passes_scikit_learns_estimator_checks(tiny_kb):
    estimator = MetaClassifier(kb=tiny_kb, time_budget=2, outer_splits=0, n_candidates=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None, expected_failed_checks=EXPECTED_FAILURES)
    failed = [f"{r['check_name']}: {r['exception']}" for r in results if r["status"] == "failed"]
    assert not failed, "\n".join(failed)
    assert sum(r["status"] == "passed" for r in results) >= 50


#: MetaRegressor's checks that cannot apply, and why.
#: scikit-learn fits these on 10-15 rows; metamed refuses a regression on fewer than 20
#: (MIN_REGRESSION_ROWS: CV folds of two or three values make every error estimate noise).
_TOO_FEW_ROWS = "fits a regression on fewer than 20 rows, which metamed refuses in one sentence"
REGRESSOR_EXPECTED_FAILURES = {
    **EXPECTED_FAILURES,
    "check_n_features_in_after_fitting": _TOO_FEW_ROWS,
    "check_regressors_no_decision_function": _TOO_FEW_ROWS,
    "check_fit2d_1feature": _TOO_FEW_ROWS,
}


def test_metaregressor_passes_scikit_learns_estimator_checks(tiny_kb):
    estimator = MetaRegressor(kb=tiny_kb, time_budget=2, outer_splits=0, n_candidates=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None,
                                  expected_failed_checks=REGRESSOR_EXPECTED_FAILURES)
    failed = [f"{r['check_name']}: {r['exception']}" for r in results if r["status"] == "failed"]
    assert not failed, "\n".join(failed)
    assert sum(r["status"] == "passed" for r in results) >= 40  # regressors get fewer checks
