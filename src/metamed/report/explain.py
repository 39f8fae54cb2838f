"""What drives a fitted model: global importance, partial dependence, per-patient reasons.

All three methods are model-agnostic: they only call ``predict_proba`` (a
regression's ``predict``: :func:`outputs`), so they work the same for a
logistic regression, a boosted tree and a weighted ensemble of both, with
the preprocessing inside each pipeline. They describe what the *model*
relies on, not causes in the patients.

Per-patient explanation (:func:`explain_rows`)
    For a patient ``x`` and feature ``j``, the contribution is
    ``p(x) - mean_b p(x with x_j replaced by b_j)`` over background patients
    ``b`` (by default a sample of the table given). It answers "how much
    higher is this patient's predicted risk because of their value of ``j``,
    compared with typical values of ``j``, all else as it is?".
    Limits: features are changed one at a time, so effects shared by
    correlated features (two blood pressure readings) are counted in neither
    or both, interactions are not split, and the contributions do not in
    general add up to ``p(x) - mean p``. Replacing one value can create
    patients that do not exist (a pregnant man). A background that is small
    or unlike the training data makes every contribution noisy.

Global importance (:func:`permutation_importance`)
    The drop in ROC AUC (macro one-vs-rest for several classes; R² for a
    regression) when one column is shuffled. Computed on the rows given, which for a report are
    the rows the final model was fit on: it shows reliance, not how well
    each feature generalises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metamed.evaluation.scoring import Scorer

#: Background patients for per-patient explanations (cost: rows x features x this).
BACKGROUND_SIZE = 50


def outputs(model, X: pd.DataFrame) -> np.ndarray:
    """Rows x classes probabilities, or a regression's predictions as one column."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return np.asarray(model.predict(X), dtype=float).reshape(-1, 1)


def permutation_importance(model, X: pd.DataFrame, codes: np.ndarray, positive: int | None,
                           n_repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Mean and SD of the AUC (a regression: R²) drop when each column is shuffled.

    ``model`` is a fitted MetaClassifier or MetaRegressor (or anything with
    ``predict_proba`` on the frame); ``codes`` are the true class indices
    (a regression: values) of ``X``'s rows. All shuffled copies of one
    column are predicted in a single call. Largest drop first.
    """
    rng = np.random.default_rng(seed)
    score = Scorer(model.task_type, positive).primary_score
    baseline = score(codes, outputs(model, X))
    rows = []
    for column in X.columns:
        stacked = pd.concat([X] * n_repeats, ignore_index=True)
        values = np.concatenate([X[column].to_numpy()[rng.permutation(len(X))]
                                 for _ in range(n_repeats)])
        stacked[column] = values
        proba = outputs(model, stacked).reshape(n_repeats, len(X), -1)
        drops = [baseline - score(codes, p) for p in proba]
        rows.append({"feature": column, "importance": float(np.mean(drops)),
                     "sd": float(np.std(drops))})
    table = pd.DataFrame(rows, columns=["feature", "importance", "sd"])
    return table.sort_values("importance", ascending=False, ignore_index=True)


@dataclass(frozen=True)
class PartialDependence:
    """Average predicted probability of each class (a regression: the average prediction)
    as one feature is set to each grid value."""

    feature: str
    kind: str
    grid: list
    mean_proba: np.ndarray  # shape (len(grid), n_classes)


def partial_dependence(model, X: pd.DataFrame, feature: str, kind: str, n_points: int = 20,
                       max_rows: int = 200, seed: int = 0) -> PartialDependence:
    """Partial dependence of the predictions on ``feature`` (Friedman, 2001).

    Numeric features use a grid of quantiles between the 5th and 95th
    percentile (so a few extreme patients do not stretch the axis);
    categorical ones their most frequent values.
    """
    sample = X.sample(min(max_rows, len(X)), random_state=seed) if len(X) > max_rows else X
    values = X[feature].dropna()
    if kind == "numeric":
        grid = list(np.unique(np.quantile(values.astype(float), np.linspace(0.05, 0.95,
                                                                            n_points))))
    else:
        grid = list(values.astype(str).value_counts().index[:n_points])
    stacked = pd.concat([sample] * len(grid), ignore_index=True)
    stacked[feature] = np.repeat(np.asarray(grid, dtype=object), len(sample))
    proba = outputs(model, stacked).reshape(len(grid), len(sample), -1)
    return PartialDependence(feature, kind, grid, proba.mean(axis=1))


def background_sample(X: pd.DataFrame, size: int = BACKGROUND_SIZE, seed: int = 0) -> pd.DataFrame:
    """Up to ``size`` rows of ``X`` to stand for 'typical values' in explanations."""
    return X.sample(size, random_state=seed) if len(X) > size else X


def explain_rows(model, rows: pd.DataFrame, background: pd.DataFrame,
                 class_index: int) -> pd.DataFrame:
    """Contribution of each feature to each row's probability of class ``class_index``.

    Returns a frame with one row per (row, feature): ``row``, ``feature``,
    ``value``, ``contribution`` (see the module docstring for the method and
    its limits). ``rows`` and ``background`` are in the training schema.
    """
    records = []
    for position in range(len(rows)):
        patient = rows.iloc[[position]]
        base = float(outputs(model, patient)[0, class_index])
        for feature, mean in _replaced_means(model, patient, background, class_index).items():
            records.append({"row": rows.index[position], "feature": feature,
                            "value": patient[feature].iloc[0], "contribution": base - mean})
    return pd.DataFrame(records, columns=["row", "feature", "value", "contribution"])


def _replaced_means(model, patient: pd.DataFrame, background: pd.DataFrame,
                    class_index: int) -> dict[str, float]:
    """Mean probability over the background with one feature at a time taken from it."""
    size = len(background)
    blocks = []
    for feature in patient.columns:
        block = pd.concat([patient] * size, ignore_index=True)
        block[feature] = background[feature].to_numpy()
        blocks.append(block)
    proba = outputs(model, pd.concat(blocks, ignore_index=True))[:, class_index]
    means = proba.reshape(len(patient.columns), size).mean(axis=1)
    return dict(zip(patient.columns, map(float, means), strict=True))
