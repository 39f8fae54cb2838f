"""The pipeline search space, told as what a user gets from it.

Configs are plain dicts; every one of them — named baselines and the whole
default portfolio — must fit any medical table the corpus can hold, and give
probabilities that sum to 1.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metamed.errors import MetamedError
from metamed.space import (
    FAMILIES,
    SPACE,
    build_pipeline,
    canonical_config,
    config_hash,
    config_name,
    default_portfolio,
    list_named_configs,
    named_config,
    sample_config,
    validate_config,
)
from metamed.space.components import FeatureSelector
from metamed.space.families import MODEL_FAMILIES, families_for
from metamed.space.models import SizedMLP
from metamed.space.portfolio import EXTENSION_SAMPLES

PORTFOLIO = default_portfolio()
NAMED = [named_config(name) for name in families_for("classification")]
# Every model at its defaults, plus every preprocessing variant at least once.
REPRESENTATIVE = NAMED + [
    canonical_config(config) for config in (
        {"impute": {"numeric": "knn", "categorical": "constant", "indicators": False}},
        {"encode": "ordinal", "scale": "robust", "model": {"name": "logreg", "penalty": "l1"}},
        {"encode": "target", "scale": "quantile",
         "model": {"name": "logreg", "penalty": "elasticnet"}},
        {"select": {"method": "kbest", "fraction": 0.05}, "model": "svm_rbf"},
        {"select": {"method": "l1", "C": 0.01}, "model": {"name": "knn", "n_neighbors": 50}},
        {"select": {"method": "trees", "fraction": 0.05}, "model": "gnb"},
    )
]


def _ids(configs: list[dict]) -> list[str]:
    return [f"{config_name(c)}-{config_hash(c)}" for c in configs]


def _fit_proba(config: dict, X: pd.DataFrame, y: pd.Series, X_new: pd.DataFrame) -> np.ndarray:
    numeric = [c for c in X.columns if X[c].dtype.kind == "f"]
    categorical = [c for c in X.columns if c not in numeric]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings are not failures
        pipeline = build_pipeline(config, numeric, categorical).fit(X, y)
        proba = pipeline.predict_proba(X_new)
    assert proba.shape == (len(X_new), y.nunique())
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)
    return proba


def _mixed_binary_table(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric and categorical columns, 15% missing everywhere, a 15-level ward."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "age": rng.normal(60, 10, n),
        "bmi": rng.normal(27, 4, n),
        "crp": rng.lognormal(1, 1, n),
        "sex": rng.choice(["F", "M"], n),  # pandas' string dtype
        "smoker": rng.choice(["never", "former", "current"], n).astype(object),
        "ward": rng.choice([f"ward{i}" for i in range(15)], n).astype(object),
    })
    X = X.mask(rng.random(X.shape) < 0.15)
    y = pd.Series(np.where(rng.random(n) < 0.4, "disease", "healthy"))
    return X, y


def _multiclass_table(n: int = 45, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """Three classes, the rarest with 3 rows."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"lab{i}": rng.normal(size=n) for i in range(5)})
    X["grade"] = rng.choice(["I", "II", "III"], n).astype(object)
    X.loc[rng.random(n) < 0.1, "lab0"] = np.nan
    y = pd.Series(["rare"] * 3 + ["mild"] * 20 + ["severe"] * (n - 23))
    return X, y


BINARY = _mixed_binary_table()
MULTICLASS = _multiclass_table()


# --- named configs ---------------------------------------------------------------

def test_logreg_baseline_is_plain_logistic_regression():
    config = named_config("logreg")
    assert config["impute"] == {"numeric": "median", "categorical": "most_frequent",
                                "indicators": True}
    assert config["encode"]["method"] == "onehot"
    assert config["scale"] == {"method": "standard"}
    assert config["select"] == {"method": "none"}
    assert config["model"] == {"name": "logreg", "penalty": "l2", "C": 1.0,
                               "class_weight": None}
    assert config_name(config) == "logreg_l2-C1-std"


def test_rf_baseline_is_the_library_default_forest():
    model = named_config("rf")["model"]
    assert (model["n_estimators"], model["max_features"], model["bootstrap"]) == (100, "sqrt", True)
    assert config_name(named_config("rf")) == "rf-n100-mfsqrt"


def test_every_family_has_a_named_config():
    assert list_named_configs() == list(FAMILIES)
    named = {named_config(name)["model"]["name"] for name in list_named_configs()}
    assert named == set(FAMILIES)


def test_unknown_name_suggests_close_names():
    with pytest.raises(MetamedError, match="did you mean 'logreg'"):
        named_config("logreg2")


# --- canonical form, hash, JSON ----------------------------------------------------

def test_config_survives_a_json_round_trip_with_the_same_hash():
    for config in PORTFOLIO:
        restored = json.loads(json.dumps(config))
        assert restored == config
        assert config_hash(restored) == config_hash(config)


def test_hash_is_stable_across_runs_and_key_order():
    config = named_config("logreg")
    shuffled = {step: dict(reversed(list(values.items())))
                for step, values in reversed(list(config.items()))}
    assert config_hash(shuffled) == config_hash(config) == "b57b50ef5252"


def test_partial_config_means_the_same_as_its_full_form():
    assert config_hash({}) == config_hash(named_config("logreg"))
    assert config_hash({"model": {"name": "logreg", "C": 1}}) == config_hash({})
    assert config_hash({"model": "rf", "scale": "none"}) == config_hash(named_config("rf"))


def test_parameters_that_do_not_apply_are_dropped():
    with_ratio = {"model": {"name": "logreg", "penalty": "l2", "l1_ratio": 0.3}}
    assert "l1_ratio" not in canonical_config(with_ratio)["model"]
    assert config_hash(with_ratio) == config_hash({})


def test_hash_changes_when_a_parameter_changes():
    assert config_hash({"model": {"name": "logreg", "C": 0.5}}) != config_hash({})


# --- validation --------------------------------------------------------------------

@pytest.mark.parametrize(("config", "message"), [
    ({"modle": "rf"}, "did you mean 'model'"),
    ({"model": "random_forest"}, "is not known"),
    ({"model": {"name": "rf", "C": 1.0}}, "has no parameter 'C'"),
    ({"model": {"name": "logreg", "C": -1.0}}, "model.C = -1.0 is invalid"),
    ({"model": {"name": "knn", "n_neighbors": 5.0}}, "expected a whole number"),
    ({"impute": {"indicators": 1}}, "expected one of True, False"),
    ({"scale": ["standard"]}, "must be a dict or a string"),
    ("rf", "must be a dict"),
])
def test_invalid_config_is_explained_in_one_sentence(config, message):
    with pytest.raises(MetamedError, match=message) as error:
        validate_config(config)
    assert "\n" not in str(error.value)


_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=True), st.text(max_size=8), st.lists(st.integers()))


@settings(max_examples=200, deadline=None)
@given(step=st.sampled_from(list(SPACE)), key=st.text(max_size=12) | st.sampled_from(
    ["numeric", "method", "name", "C", "fraction", "n_neighbors", "penalty"]), value=_JUNK)
def test_validator_accepts_or_explains_any_edit(step, key, value):
    config = json.loads(json.dumps(named_config("logreg")))
    config.setdefault(step, {})[key] = value  # an optional step (featurize) is absent
    try:
        validate_config(config)
    except MetamedError as error:
        assert str(error).endswith((".", "?")) and "\n" not in str(error)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), family=st.sampled_from(FAMILIES))
def test_sampled_configs_are_canonical(seed, family):
    config = sample_config(np.random.default_rng(seed), family)
    assert canonical_config(config) == config
    assert canonical_config(json.loads(json.dumps(config))) == config


# --- the default portfolio ---------------------------------------------------------

def test_portfolio_is_large_diverse_and_reproducible():
    hashes = [config_hash(config) for config in PORTFOLIO]
    assert len(PORTFOLIO) >= 100
    assert len(set(hashes)) == len(hashes)
    for_tables = {f for f in families_for("classification") if MODEL_FAMILIES[f].tables}
    assert {config["model"]["name"] for config in PORTFOLIO} == for_tables
    assert default_portfolio() == PORTFOLIO
    assert default_portfolio(seed=1) != PORTFOLIO


def test_portfolio_starts_with_the_library_defaults_and_grows_as_a_prefix():
    classifiers = [c for c in NAMED if MODEL_FAMILIES[c["model"]["name"]].task_type
                   == "classification"]
    first = [c for c in classifiers if MODEL_FAMILIES[c["model"]["name"]].generation == 1]
    later = [c for c in classifiers if MODEL_FAMILIES[c["model"]["name"]].generation > 1
             and MODEL_FAMILIES[c["model"]["name"]].tables]
    assert later and PORTFOLIO[: len(first)] == first
    assert all(c in PORTFOLIO[120:] for c in later)  # appended: the first 120 never move
    assert default_portfolio(size=130)[:120] == PORTFOLIO[:120]
    extension = PORTFOLIO[120:]
    assert len(extension) == len(later) * (1 + EXTENSION_SAMPLES)
    assert default_portfolio(size=130)[130:] == extension


def test_portfolio_varies_the_preprocessing_too():
    for step in ("impute", "encode", "scale", "select"):
        variants = {config[step][SPACE[step].selector] for config in PORTFOLIO}
        assert variants == set(SPACE[step].variants), step


def test_portfolio_smaller_than_the_families_is_refused():
    with pytest.raises(MetamedError, match="at least one config per model family"):
        default_portfolio(size=3)


# --- every config fits every kind of table -----------------------------------------

@pytest.mark.parametrize("config", PORTFOLIO, ids=_ids(PORTFOLIO))
def test_every_portfolio_config_fits_a_small_mixed_binary_table(config):
    X, y = BINARY
    _fit_proba(config, X, y, X.iloc[:10])


@pytest.mark.parametrize("config", PORTFOLIO, ids=_ids(PORTFOLIO))
def test_every_portfolio_config_fits_multiclass_with_a_three_row_class(config):
    X, y = MULTICLASS
    _fit_proba(config, X, y, X.iloc[:10])


@pytest.mark.parametrize("config", REPRESENTATIVE, ids=_ids(REPRESENTATIVE))
def test_a_cv_fold_with_a_one_row_class_and_degenerate_columns_still_fits(config):
    """A training fold of 30 rows where one class kept a single row, one column
    is constant and one entirely missing — yet they vary at prediction time."""
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30), "flat": 1.0,
                      "empty": np.nan, "sex": rng.choice(["F", "M"], 30).astype(object)})
    y = pd.Series(["rare"] + ["mild"] * 14 + ["severe"] * 15)
    X_new = pd.DataFrame({"a": [0.1, np.nan], "b": [2.0, -1.0], "flat": [3.0, np.nan],
                          "empty": [1.0, 2.0], "sex": ["unknown", np.nan]})
    _fit_proba(config, X, y, X_new)


@pytest.mark.parametrize("config", REPRESENTATIVE, ids=_ids(REPRESENTATIVE))
def test_wide_table_with_more_features_than_rows_fits(config):
    # EBM boosts over every column in turn (156 s at 3,000 columns, a quarter of the suite):
    # it gets 400, still five times the rows and far above its 50-column interaction cut-off
    width = 400 if config["model"]["name"] == "ebm" else 3000
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(80, width)), columns=[f"gene{i}" for i in range(width)])
    X.iloc[:5, :50] = np.nan
    y = pd.Series(np.where(X["gene0"].fillna(0) + rng.normal(size=80) > 0, "case", "control"))
    _fit_proba(config, X, y, X.iloc[:5])


@pytest.mark.parametrize("config", NAMED, ids=_ids(NAMED))
def test_all_categorical_table_without_missing_values_fits(config):
    """Nothing is missing in training; at prediction a value is missing, one unseen."""
    rng = np.random.default_rng(4)
    X = pd.DataFrame({f"symptom{i}": rng.choice(list("abcdefgh"), 40) for i in range(4)})
    X_new = X.iloc[:3].copy()
    X_new.iloc[0, 0], X_new.iloc[1, 1] = np.nan, "never seen"
    _fit_proba(config, X, pd.Series(rng.choice([0, 1], 40)), X_new)


def test_pipeline_needs_a_feature_column_and_a_dataframe():
    with pytest.raises(MetamedError, match="at least one feature column"):
        build_pipeline({}, [], [])
    X, y = BINARY
    with pytest.raises(MetamedError, match="no column 'weight'"):
        build_pipeline({}, ["weight"], []).fit(X, y)


# --- feature selection -------------------------------------------------------------

@pytest.mark.parametrize("method", ["kbest", "l1", "trees"])
def test_selection_never_keeps_zero_features(method):
    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(30), rng.normal(size=(30, 2))])
    y = rng.choice(["a", "b", "c"], 30)
    selector = FeatureSelector(method=method, fraction=0.01, C=1e-6).fit(X, y)
    assert selector.get_support().sum() == 1
    assert selector.transform(X).shape == (30, 1)


def test_pipeline_selection_keeps_the_requested_fraction():
    X, y = BINARY
    config = {"select": {"method": "kbest", "fraction": 0.5}, "impute": {"indicators": False}}
    pipeline = build_pipeline(config, ["age", "bmi", "crp"], []).fit(X, y)
    assert pipeline.named_steps["select"].get_support().sum() == 2


# --- models that adapt to the data size --------------------------------------------

def test_mlp_stops_early_only_when_the_table_is_large():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(2000, 3)), rng.choice(["a", "b"], 2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        large = SizedMLP(hidden_units=8).fit(X, y)
        small = SizedMLP(hidden_units=8).fit(X[:200], y[:200])
    assert large.estimator_.early_stopping and not small.estimator_.early_stopping
