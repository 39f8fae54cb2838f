"""Cross-validation splits that stay valid on small medical data.

Repeated stratified k-fold is the default protocol: with a few hundred
patients one k-fold split is noisy, repeats average that noise out. The
fold count shrinks when the smallest class cannot fill every fold, and
repeated measures (a group column) get grouped folds so one patient never
sits on both sides; identical rows (``Task.duplicates``) likewise stay in
one fold, without the cost of a grouped splitter. A regression is
stratified on quantile bins of its target, so that no fold gets all the
long stays or all the heavy babies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from metamed.data.task import Task


@dataclass(frozen=True)
class Split:
    """One train/test split of one repeat."""

    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class CVPlan:
    """The splits of a whole protocol, with a note when folds were reduced."""

    splits: list[Split]
    n_splits: int
    n_repeats: int
    note: str | None = None


def plan_cv(task: Task, n_splits: int = 5, n_repeats: int = 3, seed: int = 0) -> CVPlan:
    """Repeated (group-)stratified k-fold, with k adapted to the smallest class.

    Each repeat reshuffles with seed ``seed + repeat``, so plans are
    reproducible and repeats differ. Identical rows are split as one: the
    folds of a table whose every row appears twice are those of the table
    without the copies, each copy beside its original.
    """
    firsts, unit_of_row = _distinct_rows(task)
    smallest = int(np.bincount(task.codes[firsts]).min()) if task.kind.has_classes else len(firsts)
    folds = max(2, min(n_splits, smallest))
    if task.groups is not None:
        folds = max(2, min(folds, len(np.unique(task.group_labels))))
    note = None
    if folds < n_splits:
        rows = "rows" if task.duplicates is None else "distinct rows"
        note = (
            f"{folds}-fold CV instead of {n_splits}-fold: the smallest class has only "
            f"{smallest} {rows}."
        )
    splits = []
    for repeat in range(n_repeats):
        splitter = _splitter(task, folds, seed + repeat, firsts, unit_of_row)
        for fold, (train, test) in enumerate(splitter):
            splits.append(Split(repeat, fold, train, test))
    return CVPlan(splits=splits, n_splits=folds, n_repeats=n_repeats, note=note)


def _distinct_rows(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each set of identical rows, in table order, and each row's set.

    Without duplicates: every row, each its own set.
    """
    if task.duplicates is None:
        rows = np.arange(task.n_rows)
        return rows, rows
    _, first, set_of_row = np.unique(task.duplicates, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[set_of_row]


def _splitter(task: Task, folds: int, seed: int, firsts: np.ndarray, unit_of_row: np.ndarray):
    """(train, test) row indices: user groups by a grouped splitter, else the distinct rows
    stratified and each split widened to their copies."""
    if task.groups is not None:
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        return splitter.split(np.zeros(task.n_rows), _strata(task, np.arange(task.n_rows), folds),
                              task.group_labels)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    units = splitter.split(np.zeros(len(firsts)), _strata(task, firsts, folds))
    return ((np.flatnonzero(np.isin(unit_of_row, train)),
             np.flatnonzero(np.isin(unit_of_row, test))) for train, test in units)


def _strata(task: Task, rows: np.ndarray, folds: int) -> np.ndarray:
    """What ``rows`` are stratified on (:meth:`Task.strata`), with rank bins each large enough
    to give every fold a row."""
    return task.strata(rows, max_bins=len(rows) // folds)
