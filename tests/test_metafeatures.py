"""Meta-features: a fixed-order, finite vector for any table the corpus can hold."""

import numpy as np
import pandas as pd
import pytest

from metamed.data.validation import make_task
from metamed.knowledge.metafeatures import (
    METAFEATURE_NAMES,
    compute_metafeatures,
    metafeature_frame,
)


def _task(n=200, p=6, seed=0, signal=2.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{i}" for i in range(p)])
    frame["x0"] += signal * y
    frame["ward"] = rng.choice(["a", "b", "c"], n)
    frame["y"] = y
    return make_task(frame, "y")


def test_vector_has_the_documented_order_and_is_deterministic():
    task = _task()
    first, second = compute_metafeatures(task), compute_metafeatures(task)
    assert first.shape == (len(METAFEATURE_NAMES),)
    np.testing.assert_array_equal(first, second)
    assert metafeature_frame(task).index.tolist() == list(METAFEATURE_NAMES)


def test_simple_features_describe_the_table():
    values = metafeature_frame(_task(n=200, p=6))
    assert values["log_rows"] == pytest.approx(np.log(200))
    assert values["share_categorical"] == pytest.approx(1 / 7)
    assert values["n_classes"] == 2


def test_landmarkers_see_signal_and_its_absence():
    strong = metafeature_frame(_task(signal=4.0))
    none = metafeature_frame(_task(signal=0.0, seed=3))
    assert strong["landmark_naive_bayes"] > 0.9
    assert none["landmark_naive_bayes"] < 0.65
    assert strong["max_mutual_information"] > none["max_mutual_information"]


def test_robust_to_nan_constant_columns_categoricals_and_tiny_tables():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "a": rng.normal(size=30), "b": [np.nan] * 29 + [1.0], "c": rng.choice(["u", "v"], 30),
        "y": ["p"] * 15 + ["q"] * 15,
    })
    frame.loc[::4, "a"] = np.nan
    vector = compute_metafeatures(make_task(frame, "y"))
    assert np.isfinite(vector).all()


def test_robust_to_very_wide_tables():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(30, 7000)), columns=[f"g{i}" for i in range(7000)])
    frame["y"] = ["a"] * 15 + ["b"] * 15
    vector = compute_metafeatures(make_task(frame, "y"))
    assert np.isfinite(vector).all()


def test_all_categorical_table_has_no_numeric_statistics():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"s": rng.choice(list("abc"), 80), "y": rng.choice(["n", "m"], 80)})
    values = metafeature_frame(make_task(frame, "y"))
    assert values["numeric_available"] == 0.0
    assert np.isfinite(values.to_numpy()).all()
