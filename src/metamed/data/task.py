"""The Task: one supervised medical prediction problem.

A task is what every other part of metamed consumes: the corpus produces
tasks, meta-features describe them, pipelines are evaluated on them. It is
built only through :func:`metamed.data.validation.make_task`, so every task —
from a user's CSV or from a PyPI package — has passed the same checks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from metamed.data.feature_kinds import FEATURE_KINDS
from metamed.kinds import Kind, kind_for

FeatureType = Literal["numeric", "categorical", "molecule"]
TaskType = Literal["classification", "regression", "survival"]


@dataclass(frozen=True)
class Provenance:
    """Where a task's data came from and how its target was derived.

    Attributes
    ----------
    source : str
        The package and call, or the file path, the raw table came from.
    description : str
        One line on the medical question.
    reference : str
        The original publication or dataset documentation.
    licence : str
        Licence of the data as distributed, when known.
    derivation : str
        How the target was built and what was dropped (leaks, ids, follow-up).
    """

    source: str
    description: str = ""
    reference: str = ""
    licence: str = ""
    derivation: str = ""


@dataclass
class Task:
    """One prediction problem: features, target and their provenance.

    Attributes
    ----------
    name : str
        Short identifier (a corpus slug or the file's stem).
    X : DataFrame
        Usable features only (ID-like, empty and constant columns removed).
    y : Series
        Target, no missing values: class labels (every class with at least 2
        rows) or, for regression, floats.
    feature_types : dict
        Column name to ``"numeric"`` or ``"categorical"``.
    positive_class : object or None
        The class treated as "positive" (disease present) in binary metrics.
    groups : Series or None
        Patient / cluster identifier for repeated measures; CV is grouped.
    provenance : Provenance
    notes : list of str
        What validation did to the data, in the user's words.
    warnings : list of str
        What the user should look at (suspected leaks, small classes).
    task_type : {"classification", "regression"}
        What is predicted: one of the classes, or a number.
    duplicates : ndarray or None
        Rows with the same code hold the same value in every feature and the
        target; None when no row repeats another (or nobody looked: corpus
        tasks keep the folds the knowledge base was built with). CV keeps
        each set in one fold, so no row is scored on a copy of itself.
    units : dict
        Feature columns whose numbers were written with a unit ("12 mg"),
        and that unit, stripped by validation; ``predict`` strips the same one.
    event : Series or None
        A survival task's event indicator (1 event, 0 censored); ``y`` is
        then the follow-up time.
    horizons : tuple of float
        A survival task's times at which survival is predicted and scored
        (the quartiles of follow-up unless the user chose them).
    """

    name: str
    X: pd.DataFrame
    y: pd.Series
    feature_types: dict[str, FeatureType]
    positive_class: object | None
    provenance: Provenance
    groups: pd.Series | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    task_type: TaskType = field(kw_only=True)
    duplicates: np.ndarray | None = None
    units: dict[str, str] = field(default_factory=dict)
    event: pd.Series | None = None
    horizons: tuple[float, ...] = ()

    @property
    def kind(self) -> Kind:
        """What differs for this task's type (:mod:`metamed.kinds`), and its baseline."""
        return kind_for(self.task_type, self.feature_types)

    @property
    def is_regression(self) -> bool:
        return self.task_type == "regression"

    @property
    def n_rows(self) -> int:
        return len(self.y)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def model_width(self) -> int:
        """Columns a model sees at the default featurisation: a molecule counts as its
        fingerprint's bits. What the meta-features' sizes (and so the cost model) use."""
        from metamed.molecules.featurize import DEFAULT_BITS

        molecules = len(self.columns_of("molecule"))
        return self.n_features + molecules * (DEFAULT_BITS - 1)

    @cached_property
    def classes(self) -> list:
        """Class labels in sorted order (the column order of probabilities); none for regression."""
        if not self.kind.has_classes:
            return []
        return sorted(self.y.unique().tolist(), key=str)

    @cached_property
    def codes(self) -> np.ndarray:
        """Target as indices into :attr:`classes`, the coding every classifier is fitted on."""
        if not self.kind.has_classes:
            raise TypeError(f"task {self.name!r} is a {self.task_type}; its target has no class "
                            "codes.")
        index = {c: i for i, c in enumerate(self.classes)}
        return self.y.map(index).to_numpy(dtype=int)

    @property
    def n_outputs(self) -> int:
        """Columns of the task's predictions: one per class, one predicted value, or a
        survival task's risk and survival at each horizon."""
        return len(self.classes) if self.kind.has_classes else 1 + len(self.horizons)

    @property
    def target_values(self) -> np.ndarray:
        """What models are fitted on: class codes, the numbers of a regression, or a survival
        task's (time, event) pairs as two columns."""
        if self.kind.has_classes:
            return self.codes
        if self.event is not None:
            return np.column_stack([self.y.to_numpy(dtype=float),
                                    self.event.to_numpy(dtype=float)])
        return self.y.to_numpy(dtype=float)

    def strata(self, rows: np.ndarray | None = None, max_bins: int | None = None) -> np.ndarray:
        """What ``rows`` (default: all) are stratified on: class codes, or the target's rank
        bins (as many as the kind says, at most ``max_bins``).

        One definition for CV folds, the KB's row subsample and the landmarkers.
        """
        rows = np.arange(self.n_rows) if rows is None else rows
        if self.kind.has_classes:
            return self.codes[rows]
        if self.event is not None:  # every fold gets its share of the events
            return self.event.to_numpy(dtype=int)[rows]
        bins = self.kind.strata_bins if max_bins is None else min(self.kind.strata_bins, max_bins)
        return rank_bins(self.target_values[rows], max(1, bins))

    @property
    def positive_index(self) -> int | None:
        """Index of the positive class in :attr:`classes`; None unless the task is binary."""
        return self.classes.index(self.positive_class) if self.is_binary else None

    @cached_property
    def group_labels(self) -> np.ndarray | None:
        """Group of each row as text (what grouped splits and the cluster bootstrap take).

        Identical rows (:attr:`duplicates`) are one group; with :attr:`groups`
        as well, groups that share an identical row become one group, named
        after its first row's group. None when every row stands alone.
        """
        groups = None if self.groups is None else self.groups.astype(str).to_numpy()
        if self.duplicates is None:
            return groups
        if groups is None:
            return self.duplicates.astype(str)
        return joined_groups(groups, self.duplicates)

    @property
    def class_counts(self) -> dict:
        counts = self.y.value_counts()
        return {c: int(counts[c]) for c in self.classes}

    @property
    def is_binary(self) -> bool:
        return len(self.classes) == 2

    def columns_of(self, kind: FeatureType) -> list[str]:
        """Names of the feature columns of one type, in table order."""
        return [c for c in self.X.columns if self.feature_types[c] == kind]

    def summary(self) -> dict:
        """Size, classes and what validation did, as plain (JSON-able) data."""
        return {
            "name": self.name,
            "source": self.provenance.source,
            "rows": self.n_rows,
            "features": self.n_features,
            **{f"{kind}_features": len(self.columns_of(kind)) for kind in FEATURE_KINDS},
            "task_type": self.task_type,
            **self._target_summary(),
            "positive_class": None if self.positive_class is None else str(self.positive_class),
            "grouped": self.groups is not None,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "categories": {c: sorted(self.X[c].dropna().unique().tolist())
                           for c in self.X.columns
                           if FEATURE_KINDS[self.feature_types[c]].keeps_levels},
            "units": dict(self.units),
        }

    def _target_summary(self) -> dict:
        if self.kind.has_classes:
            return {"class_counts": {str(c): n for c, n in self.class_counts.items()}}
        values = self.y.to_numpy(dtype=float)
        quartiles = np.percentile(values, [0, 25, 50, 75, 100])
        found = {"target_quantiles": dict(zip(["min", "q1", "median", "q3", "max"],
                                              quartiles.round(4).tolist(), strict=True))}
        if self.event is not None:
            found.update(events=int(self.event.sum()), horizons=list(self.horizons))
        return found

    def subset(self, rows: np.ndarray, columns: list[str] | None = None,
               note: str | None = None) -> Task:
        """The same task restricted to some rows (and columns), re-indexed from 0."""
        columns = list(self.X.columns) if columns is None else columns
        return Task(
            name=self.name,
            X=self.X.iloc[rows][columns].reset_index(drop=True),
            y=self.y.iloc[rows].reset_index(drop=True),
            feature_types={c: self.feature_types[c] for c in columns},
            positive_class=self.positive_class,
            provenance=self.provenance,
            groups=None if self.groups is None else self.groups.iloc[rows].reset_index(drop=True),
            notes=self.notes + ([note] if note else []),
            warnings=list(self.warnings),
            task_type=self.task_type,
            duplicates=None if self.duplicates is None else self.duplicates[rows],
            units=dict(self.units),
            event=None if self.event is None else self.event.iloc[rows].reset_index(drop=True),
            horizons=self.horizons,
        )

    def content_hash(self) -> str:
        """A digest of the values (not the names, not the order) used to find the same data.

        Column and row order are normalised so that the same table shipped
        by two packages, with other column names, hashes the same; missing
        values have a marker of their own. The knowledge base stores this
        digest of each task *as loaded* (before any cap for the build), so
        a user's copy of a known table is always recognised.
        """
        parts = [column_digest(self.X[c]) for c in self.X.columns]
        parts.append(column_digest(self.y.map(str)))
        if self.event is not None:
            parts.append(column_digest(self.event.map(str)))
        return hashlib.sha256("".join(sorted(parts)).encode()).hexdigest()[:16]


def rank_bins(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Each value's bin of ``n_bins`` equal-size bins by rank (ties split by row order).

    What stands in for classes wherever a number must be stratified or
    described by groups: CV folds, the build's row subsample, meta-features.
    """
    ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    return ranks * n_bins // len(values)


def joined_groups(groups: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``groups`` with every two groups that hold rows of one ``codes`` value joined.

    A joined group takes the label of its first row's group, so groups that
    join nothing keep their labels (and a grouped CV its folds).
    """
    group_index, group_of_row = np.unique(groups, return_inverse=True)
    _, code_of_row = np.unique(codes, return_inverse=True)
    nodes = len(group_index) + int(code_of_row.max()) + 1
    edges = coo_matrix((np.ones(len(groups)), (group_of_row, len(group_index) + code_of_row)),
                       shape=(nodes, nodes))
    component = connected_components(edges, directed=False)[1][group_of_row]
    return pd.Series(groups).groupby(component).transform("first").to_numpy()


def column_digest(column: pd.Series) -> str:
    """A digest of one column's sorted values: numbers rounded to 6 decimals, NaN-safe."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = np.round(column.to_numpy(dtype=float), 6)
        data = np.sort(np.where(np.isnan(values), np.inf, values)).tobytes()
    else:
        text = column.map(str).where(column.notna(), "\x00NA").tolist()
        data = "\x1f".join(sorted(text)).encode()
    return hashlib.sha256(data).hexdigest()
