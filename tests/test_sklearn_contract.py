"""MetaClassifier follows scikit-learn's estimator contract (sklearn's own checks)."""

import warnings

from sklearn.utils.estimator_checks import check_estimator

from metamed.automl.estimator import MetaClassifier

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
