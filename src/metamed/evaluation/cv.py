"""Cross-validation splits that stay valid on small medical data.

Repeated stratified k-fold is the default protocol: with a few hundred
patients one k-fold split is noisy, repeats average that noise out. The
fold count shrinks when the smallest class cannot fill every fold, and
repeated measures (a group column) get grouped folds so one patient never
sits on both sides. A regression is stratified on quantile bins of its
target, so that no fold gets all the long stays or all the heavy babies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from metamed.data.target import rank_bins
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
    reproducible and repeats differ.
    """
    smallest = task.n_rows if task.is_regression else min(task.class_counts.values())
    folds = max(2, min(n_splits, smallest))
    if task.groups is not None:
        folds = max(2, min(folds, task.groups.nunique()))
    note = None
    if folds < n_splits:
        note = (
            f"{folds}-fold CV instead of {n_splits}-fold: the smallest class has only "
            f"{smallest} rows."
        )
    splits = []
    for repeat in range(n_repeats):
        for fold, (train, test) in enumerate(_splitter(task, folds, seed + repeat)):
            splits.append(Split(repeat, fold, train, test))
    return CVPlan(splits=splits, n_splits=folds, n_repeats=n_repeats, note=note)


def _splitter(task: Task, folds: int, seed: int):
    # Up to 10 bins by rank, each large enough to give every fold a row.
    bins = max(1, min(10, task.n_rows // folds))
    y = rank_bins(task.target_values, bins) if task.is_regression else task.codes
    placeholder = np.zeros(len(y))
    if task.groups is None:
        return StratifiedKFold(folds, shuffle=True, random_state=seed).split(placeholder, y)
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    return splitter.split(placeholder, y, task.group_labels)

