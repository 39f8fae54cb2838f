"""Config ⇄ scikit-learn: turn a pipeline config into an unfitted ``Pipeline``.

The pipeline has four steps — ``columns`` (picks the feature columns),
``features`` (a ``ColumnTransformer``), ``select`` and ``model`` — and
takes the task's DataFrame as it is, with NaN in numeric and categorical
columns alike:

* numeric columns: impute (mean, median or k-NN), then scale;
* categorical columns: impute (most frequent level or "missing"), encode
  (one-hot or ordinal with rare levels grouped, or cross-fitted target
  encoding), then scale unless one-hot (0/1 columns stay 0/1);
* missing-value indicators: one 0/1 column per feature that had missing
  values in the training data (they stay 0/1 too);
* molecule (SMILES) columns: each becomes the fingerprint or descriptors
  the config's optional ``featurize`` step names (default ECFP4: Morgan
  radius 2, 1,024 bits; :class:`~metamed.molecules.featurize.MolecularFeatures`),
  an unreadable molecule an empty row.

The output is dense: medical tables are small, and every model accepts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler

from metamed.data.feature_kinds import FEATURE_KINDS
from metamed.data.task import Task
from metamed.errors import MetamedError
from metamed.space.components import (
    CategoricalImputer,
    ColumnPicker,
    FeatureSelector,
    FoldSafeTargetEncoder,
    NormalQuantileScaler,
    SubsampledKNNImputer,
)
from metamed.space.config import Config, canonical_config
from metamed.space.families import MODEL_FAMILIES, families_for, make_model
from metamed.space.params import Scalar

Step = BaseEstimator | str


def build_pipeline(
    config: Mapping,
    numeric_columns: Sequence[str],
    categorical_columns: Sequence[str],
    *,
    molecule_columns: Sequence[str] = (),
    random_state: int = 0,
) -> Pipeline:
    """Build the unfitted pipeline a config describes, for a table with these columns.

    Parameters
    ----------
    config : dict
        A pipeline config (validated here; partial configs take defaults).
    numeric_columns, categorical_columns, molecule_columns : sequence of str
        Feature columns of each type; any may be empty, not all.
    random_state : int
        Seed of every random component, so a fit is reproducible.

    Returns
    -------
    Pipeline
        With ``fit(X, y)``, ``predict`` and ``predict_proba`` on a DataFrame.

    Examples
    --------
    >>> pipe = build_pipeline({"model": "rf"}, ["age", "bmi"], ["sex"])
    >>> [name for name, _ in pipe.steps]
    ['columns', 'features', 'select', 'model']
    """
    columns = {"numeric": list(numeric_columns), "categorical": list(categorical_columns),
               "molecule": list(molecule_columns)}
    return _pipeline(canonical_config(config), columns, random_state)


def pipeline_for_task(config: Mapping, task: Task, *, random_state: int = 0) -> Pipeline:
    """:func:`build_pipeline` with the column lists of ``task``.

    Raises
    ------
    MetamedError
        When the config's model serves the other kind of task (a classifier
        for a regression, or the reverse).
    """
    family = MODEL_FAMILIES[str(canonical_config(config)["model"]["name"])]
    if family.task_type != task.task_type:
        fitting = families_for(task.task_type)
        raise MetamedError(
            f"pipeline {family.name!r} is a {family.task_type} model and task {task.name!r} is "
            f"a {task.task_type}; choose one of {', '.join(fitting)}."
        )
    columns = {kind: task.columns_of(kind) for kind in FEATURE_KINDS}
    return _pipeline(canonical_config(config), columns, random_state)


def _pipeline(full: Config, columns: dict[str, list[str]], seed: int) -> Pipeline:
    """The pipeline for these columns of each kind (:data:`FEATURE_KINDS`), laid out in the
    registry's order."""
    if not any(columns.values()):
        raise MetamedError("a pipeline needs at least one feature column, and none was given.")
    ordered = [column for kind in FEATURE_KINDS for column in columns.get(kind, [])]
    return Pipeline([
        ("columns", ColumnPicker(ordered)),
        ("features", ColumnTransformer(_branches(full, columns, seed), sparse_threshold=0.0)),
        ("select", _selector(full["select"], seed)),
        ("model", make_model(full["model"], seed)),
    ])


def _branches(full: Config, columns: dict[str, list[str]],
              seed: int) -> list[tuple[str, Step, slice | list[int]]]:
    """Each kind's branches over its positions, then the missing-value indicators."""
    positions, start = {}, 0
    for kind in FEATURE_KINDS:
        count = len(columns.get(kind, []))
        positions[kind], start = slice(start, start + count), start + count
    present = [kind for kind in FEATURE_KINDS if positions[kind].stop > positions[kind].start]
    branches = [branch for kind in present
                for branch in FEATURE_KINDS[kind].build_branch(full, positions[kind], seed)]
    if full["impute"]["indicators"]:
        # One indicator branch per kind: one over all columns would copy the whole
        # table to an object array.
        branches += [(f"{kind}_missing", MissingIndicator(features="missing-only",
                                                         error_on_new=False), positions[kind])
                     for kind in present if FEATURE_KINDS[kind].indicators]
    return branches


def numeric_branch(full: Config, positions: slice, seed: int) -> list[tuple]:
    """Numeric columns: impute, then scale."""
    steps = [("impute", _numeric_imputer(full["impute"], seed)),
             ("scale", _scaler(full["scale"]["method"], seed))]
    return [("numeric", Pipeline(steps), positions)]


def categorical_branch(full: Config, positions: slice, seed: int) -> list[tuple]:
    """Categorical columns: impute, encode, then scale unless one-hot (0/1 stays 0/1)."""
    encoding = full["encode"]["method"]
    steps = [("impute", CategoricalImputer(str(full["impute"]["categorical"]))),
             ("encode", _encoder(full["encode"], seed)),
             ("scale", "passthrough" if encoding == "onehot"
              else _scaler(full["scale"]["method"], seed))]
    return [("categorical", Pipeline(steps), positions)]


def molecule_branch(full: Config, positions: slice, seed: int) -> list[tuple]:
    """One branch per molecule column: its SMILES to the config's ``featurize`` step."""
    featurize = full.get("featurize") or canonical_config({"featurize": {}})["featurize"]
    return [(f"molecule_{j}", _molecule_pipeline(featurize), [position])
            for j, position in enumerate(range(positions.start, positions.stop))]


def _molecule_pipeline(featurize: dict[str, Scalar]) -> Pipeline:
    """SMILES to the configured features. A fingerprint's missing row (an unreadable
    molecule) becomes no substructure, zeros; descriptors, which can also overflow on one
    molecule, take the training median and are scaled. Bits and counts stay as they are."""
    from metamed.molecules.featurize import MolecularFeatures

    options = {key: value for key, value in featurize.items() if key != "method"}
    descriptors = featurize["method"] == "rdkit2d"
    impute = SimpleImputer(strategy="median", keep_empty_features=True) if descriptors else \
        SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True)
    return Pipeline([
        ("featurize", MolecularFeatures(kind=str(featurize["method"]), **options)),
        ("impute", impute),
        ("scale", StandardScaler() if descriptors else "passthrough"),
    ])


def _numeric_imputer(impute: dict[str, Scalar], seed: int) -> Step:
    if impute["numeric"] == "knn":
        return SubsampledKNNImputer(n_neighbors=int(impute["neighbors"]), random_state=seed)
    # keep_empty_features: a column missing throughout a fold becomes 0, not absent.
    return SimpleImputer(strategy=str(impute["numeric"]), keep_empty_features=True)


def _scaler(method: Scalar, seed: int) -> Step:
    scalers: dict[Scalar, Step] = {
        "standard": StandardScaler(),
        "robust": RobustScaler(),
        "quantile": NormalQuantileScaler(random_state=seed),
        "none": "passthrough",
    }
    return scalers[method]


def _encoder(encode: dict[str, Scalar], seed: int) -> Step:
    if encode["method"] == "target":
        return FoldSafeTargetEncoder(random_state=seed)
    rare = {"min_frequency": encode["min_frequency"], "max_categories": encode["max_categories"]}
    if encode["method"] == "ordinal":
        return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, **rare)
    return OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False, **rare)


def _selector(select: dict[str, Scalar], seed: int) -> Step:
    if select["method"] == "none":
        return "passthrough"
    options = {key: value for key, value in select.items() if key != "method"}
    return FeatureSelector(method=str(select["method"]), **options, random_state=seed)
