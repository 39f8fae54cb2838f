"""Meta-features: a fixed-order numeric vector that describes a task.

Meta-learners compare tasks through this vector, so its order and meaning
are part of the knowledge base's format (``METAFEATURES_VERSION``). Four
groups, as in the meta-learning literature (and pymfe's vocabulary):

* **simple** — size, shape, types, missingness, class balance;
* **statistical** — skewness, kurtosis, correlation, outliers, PCA spread
  of the numeric columns;
* **information-theoretic** — class entropy and the mutual information
  between (discretised) features and the class;
* **landmarkers** — 3-fold balanced accuracy of cheap models (1-NN, naive
  Bayes, a decision stump, a linear model) on a subsample;
* **censoring** (version 2) — for a survival task, the share of patients
  with an event, the events per feature (the prognostic-model literature's
  "events per variable", which bounds how many predictors a Cox model can
  carry) and the share censored before the median follow-up (loss to
  follow-up, as opposed to administrative censoring at a study's end);
  0 for the other kinds;
* **molecules** (version 3) — for a table with a molecule column, its
  molecules' size, diversity (mean nearest-neighbour Tanimoto, share of
  distinct scaffolds) and, for a regression, the activity's range, spread
  and the share of molecules in an activity cliff
  (:mod:`metamed.molecules.metafeatures`, on a seeded sample of
  :data:`MAX_MOLECULES`); 0 for other tables.

Why not pymfe: its speed against this module is measured by
``benchmarks/kb_build.py`` (figures in docs/benchmarks.md); these ~30 values
are cheap and enough to find neighbouring tasks.

A survival task's event indicator plays the classes' part (the simple,
information and landmark groups describe how well features tell who has
an event during follow-up), and the censoring group adds what that label
loses. A regression's target is described through its quintiles, which play the
classes' part: the information-theoretic values and the landmarkers then
measure how well the features tell which fifth of the outcome range a
patient falls in, and ``n_classes`` is 0, so a regression never looks like a
five-class task (meta-learners compare tasks of one kind only anyway).

Large tables are subsampled (rows, columns) with a fixed seed so the vector
is deterministic and cheap; every value is finite (NaN becomes 0 with a
dedicated ``*_available`` flag where a group can be missing).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from metamed.data.task import Task

#: Version 2 appended the censoring group. A version-1 vector is a version-2 vector without
#: it, and version 1 described classification and regression tasks only, whose censoring
#: values are 0: so a version-1 vector reads exactly as version 2 with three zeros appended.
#: Version 3 appended the molecular group, 0 for every table without a molecule (all that
#: versions 1 and 2 described): so older vectors read as version 3 with zeros appended.
METAFEATURES_VERSION = 3
#: Rank bins standing in for a numeric target's classes in the landmarkers and entropies.
LANDMARK_BINS = 5
MAX_STAT_ROWS = 2000
MAX_STAT_COLUMNS = 200
MAX_LANDMARK_ROWS = 500
MAX_LANDMARK_COLUMNS = 100
N_BINS = 10
#: Molecules the pairwise similarity statistics sample (their cost grows with the square).
MAX_MOLECULES = 2000

SIMPLE = (
    "log_rows", "log_features", "log_rows_per_feature", "n_classes", "share_categorical",
    "share_missing_cells", "share_rows_with_missing", "share_columns_with_missing",
    "minority_share", "majority_share", "log_imbalance_ratio", "mean_category_levels",
)
STATISTICAL = (
    "numeric_available", "mean_abs_skew", "max_abs_skew", "mean_kurtosis", "mean_abs_correlation",
    "max_abs_correlation", "share_outliers", "pca_components_95", "share_binary_numeric",
)
INFORMATION = (
    "class_entropy", "mean_feature_entropy", "mean_mutual_information",
    "max_mutual_information", "equivalent_features", "noise_signal_ratio",
)
LANDMARKERS = ("landmark_1nn", "landmark_naive_bayes", "landmark_stump", "landmark_linear")
CENSORING = ("event_share", "log_events_per_feature", "share_censored_early")
MOLECULES = ("molecules_available", "mean_heavy_atoms", "sd_heavy_atoms", "mean_nn_similarity",
             "scaffold_share", "activity_range", "activity_sd", "cliff_share")
#: The groups appended after version 1, in order, each 0 for the tasks older versions held.
APPENDED = CENSORING + MOLECULES

#: The names of the vector's entries, in order.
METAFEATURE_NAMES: tuple[str, ...] = (SIMPLE + STATISTICAL + INFORMATION + LANDMARKERS
                                      + APPENDED)


def compute_metafeatures(task: Task, seed: int = 0) -> np.ndarray:
    """The meta-feature vector of ``task``, ordered as :data:`METAFEATURE_NAMES`."""
    rng = np.random.default_rng(seed)
    codes = task.strata(max_bins=LANDMARK_BINS)
    values = {**_simple(task, codes), **_statistical(task, rng), **_information(task, codes, rng)}
    values.update(_landmarkers(task, codes, rng))
    values.update(_censoring(task))
    values.update(_molecules(task, seed))
    if not task.kind.has_classes:
        values["n_classes"] = 0
    vector = np.array([values[name] for name in METAFEATURE_NAMES], dtype=float)
    return np.nan_to_num(vector, nan=0.0, posinf=0.0, neginf=0.0)


def metafeature_frame(task: Task, seed: int = 0) -> pd.Series:
    """The same vector as a named Series, for people to read."""
    return pd.Series(compute_metafeatures(task, seed), index=list(METAFEATURE_NAMES))


def _simple(task: Task, codes: np.ndarray) -> dict[str, float]:
    n, p = task.n_rows, task.model_width
    missing = task.X.isna().to_numpy()
    counts = np.bincount(codes)
    categorical = task.columns_of("categorical")
    levels = [task.X[c].nunique() for c in categorical]
    return {
        "log_rows": np.log(n),
        "log_features": np.log(p),
        "log_rows_per_feature": np.log(n / p),
        "n_classes": len(counts),
        "share_categorical": len(categorical) / p,
        "share_missing_cells": missing.mean(),
        "share_rows_with_missing": missing.any(axis=1).mean(),
        "share_columns_with_missing": missing.any(axis=0).mean(),
        "minority_share": counts.min() / n,
        "majority_share": counts.max() / n,
        "log_imbalance_ratio": np.log(counts.max() / counts.min()),
        "mean_category_levels": float(np.mean(levels)) if levels else 0.0,
    }


def _numeric_sample(task: Task, rng: np.random.Generator) -> np.ndarray:
    """Median-imputed numeric columns, subsampled to a bounded size."""
    numeric = task.columns_of("numeric")
    if len(numeric) > MAX_STAT_COLUMNS:
        numeric = list(rng.choice(numeric, MAX_STAT_COLUMNS, replace=False))
    rows = _row_sample(task.n_rows, MAX_STAT_ROWS, rng)
    block = task.X[numeric].iloc[rows].to_numpy(dtype=float)
    medians = np.nanmedian(np.where(np.isnan(block).all(axis=0), 0.0, block), axis=0)
    return np.where(np.isnan(block), medians, block)


def _statistical(task: Task, rng: np.random.Generator) -> dict[str, float]:
    empty = dict.fromkeys(STATISTICAL, 0.0)
    block = _numeric_sample(task, rng) if task.columns_of("numeric") else np.empty((0, 0))
    varying = block[:, block.std(axis=0) > 0] if block.size else block
    if varying.shape[1] == 0 or varying.shape[0] < 3:
        return empty
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        skew = np.abs(stats.skew(varying, axis=0))
        kurt = stats.kurtosis(varying, axis=0)
        z = (varying - varying.mean(axis=0)) / varying.std(axis=0)
        corr = np.abs(np.corrcoef(varying, rowvar=False)) if varying.shape[1] > 1 else np.eye(1)
    off_diagonal = corr[~np.eye(len(corr), dtype=bool)] if len(corr) > 1 else np.zeros(1)
    return {
        "numeric_available": 1.0,
        "mean_abs_skew": np.nanmean(skew),
        "max_abs_skew": np.nanmax(skew),
        "mean_kurtosis": np.nanmean(kurt),
        "mean_abs_correlation": np.nanmean(off_diagonal),
        "max_abs_correlation": np.nanmax(off_diagonal),
        "share_outliers": float(np.mean(np.abs(z) > 3)),
        "pca_components_95": _pca_share(z),
        "share_binary_numeric": float(np.mean([len(np.unique(c)) == 2 for c in varying.T])),
    }


def _pca_share(standardised: np.ndarray) -> float:
    """Share of components needed for 95% of the variance (low = redundant features)."""
    singular = np.linalg.svd(standardised - standardised.mean(axis=0), compute_uv=False)
    explained = np.cumsum(singular**2) / np.sum(singular**2)
    return float((np.searchsorted(explained, 0.95) + 1) / standardised.shape[1])


def _discretised(task: Task, rng: np.random.Generator) -> np.ndarray:
    """Integer codes per column: quantile bins for numbers, levels for categories; -1 = missing."""
    columns = list(task.X.columns)
    if len(columns) > MAX_STAT_COLUMNS:
        columns = list(rng.choice(columns, MAX_STAT_COLUMNS, replace=False))
    out = np.empty((task.n_rows, len(columns)), dtype=int)
    for j, name in enumerate(columns):
        column = task.X[name]
        if task.feature_types[name] == "numeric":
            ranks = column.rank(method="dense", pct=True).to_numpy()
            out[:, j] = np.where(np.isnan(ranks), -1, np.minimum(ranks * N_BINS, N_BINS - 1))
        else:
            out[:, j] = pd.factorize(column)[0]
    return out


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def _information(task: Task, codes: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    binned = _discretised(task, rng)
    n_classes = codes.max() + 1
    class_entropy = _entropy(np.bincount(codes))
    feature_entropy, mutual = [], []
    for column in binned.T:
        known = column >= 0
        joint = np.bincount(column[known] * n_classes + codes[known])
        h_x = _entropy(np.bincount(column[known]))
        h_y = _entropy(np.bincount(codes[known], minlength=n_classes))
        feature_entropy.append(h_x)
        mutual.append(max(0.0, h_x + h_y - _entropy(joint)))
    mean_mi = float(np.mean(mutual))
    return {
        "class_entropy": class_entropy / np.log2(n_classes),
        "mean_feature_entropy": float(np.mean(feature_entropy)),
        "mean_mutual_information": mean_mi,
        "max_mutual_information": float(np.max(mutual)),
        "equivalent_features": class_entropy / mean_mi if mean_mi > 0 else 0.0,
        "noise_signal_ratio": (np.mean(feature_entropy) - mean_mi) / mean_mi if mean_mi > 0 else 0,
    }


def _censoring(task: Task) -> dict[str, float]:
    """Event share, log events per feature, share censored before the median follow-up."""
    if task.event is None:
        return dict.fromkeys(CENSORING, 0.0)
    time, event = task.target_values[:, 0], task.target_values[:, 1]
    events = event.sum()
    return {
        "event_share": events / task.n_rows,
        "log_events_per_feature": np.log(max(events, 1.0) / task.n_features),
        "share_censored_early": float(np.mean((event == 0) & (time < np.median(time)))),
    }


def _molecules(task: Task, seed: int) -> dict[str, float]:
    """The first molecule column's meta-features; a classification's classes are no
    activity, so its activity values stay 0."""
    columns = task.columns_of("molecule")
    if not columns:
        return dict.fromkeys(MOLECULES, 0.0)
    from metamed.molecules.metafeatures import molecule_metafeatures

    activity = None if task.kind.has_classes or task.event is not None else \
        task.target_values.astype(float)
    found = molecule_metafeatures(task.X[columns[0]].tolist(), activity, seed=seed,
                                  max_pairwise=MAX_MOLECULES)
    found.pop("log_molecules")
    return {"molecules_available": 1.0, **found}


def _landmarkers(task: Task, codes: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """3-fold balanced accuracy of four cheap learners on a subsample."""
    rows = _row_sample(task.n_rows, MAX_LANDMARK_ROWS, rng, codes)
    matrix = _dense_matrix(task, rows, rng)
    y = codes[rows]
    folds = min(3, int(np.bincount(y)[np.bincount(y) > 0].min()))
    if folds < 2:
        return dict.fromkeys(LANDMARKERS, 0.0)
    learners = {
        "landmark_1nn": make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=1)),
        "landmark_naive_bayes": GaussianNB(),
        "landmark_stump": DecisionTreeClassifier(max_depth=1, random_state=0),
        "landmark_linear": make_pipeline(StandardScaler(), LinearSVC(C=0.1, random_state=0)),
    }
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            name: float(np.mean(cross_val_score(model, matrix, y, cv=cv,
                                                scoring="balanced_accuracy")))
            for name, model in learners.items()
        }


def _dense_matrix(task: Task, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Numbers and category codes, median-imputed, for the landmark models."""
    columns = list(task.X.columns)
    if len(columns) > MAX_LANDMARK_COLUMNS:
        columns = list(rng.choice(columns, MAX_LANDMARK_COLUMNS, replace=False))
    block = task.X[columns].iloc[rows]
    encoded = np.column_stack(
        [
            block[c].to_numpy(dtype=float)
            if task.feature_types[c] == "numeric"
            else _category_codes(block[c])
            for c in columns
        ]
    )
    medians = np.nan_to_num(np.nanmedian(encoded, axis=0)) if len(encoded) else 0
    return np.where(np.isnan(encoded), medians, encoded)


def _category_codes(column: pd.Series) -> np.ndarray:
    codes = pd.factorize(column)[0].astype(float)
    return np.where(codes < 0, np.nan, codes)


def _row_sample(
    n: int, cap: int, rng: np.random.Generator, codes: np.ndarray | None = None
) -> np.ndarray:
    """All rows, or ``cap`` of them (stratified by class when ``codes`` is given)."""
    if n <= cap:
        return np.arange(n)
    if codes is None:
        return np.sort(rng.choice(n, cap, replace=False))
    picks = []
    for k in np.unique(codes):
        members = np.flatnonzero(codes == k)
        take = max(2, int(round(cap * len(members) / n)))
        picks.append(rng.choice(members, min(take, len(members)), replace=False))
    return np.sort(np.concatenate(picks))
