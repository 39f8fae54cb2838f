"""The knowledge base's storage interface and its records.

Like Optuna's ``BaseStorage``, one small interface hides where the
meta-knowledge lives (a SQLite file, a PostgreSQL server), and its
guarantees are written here so every implementation keeps them.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import pandas as pd

from metamed.errors import MetamedError

#: Version of the table layout; a storage refuses a file of a later version.
#: Version 2 added the ``predictions`` table; version 3 the regression metrics (R², RMSE,
#: MAE); version 4 the survival metrics (Harrell's and Uno's C, integrated Brier score).
#: An older file reads as one without them, and is upgraded when opened writable.
SCHEMA_VERSION = 4


@dataclass(frozen=True)
class TaskRecord:
    """A task as the knowledge base knows it (no patient rows, only descriptions)."""

    task_id: str
    content_hash: str
    n_rows: int
    n_features: int
    n_classes: int
    metafeatures: tuple[float, ...]
    source: str = ""
    family: str = ""
    note: str = ""


@dataclass(frozen=True)
class EvaluationRecord:
    """One fit of one config on one fold of one task.

    ``status`` is ``"ok"``, ``"failed"`` or ``"timeout"``; failed rows keep
    their one-line ``error`` and have no metrics. ``proba`` holds the fold's
    test-row probabilities (:mod:`metamed.knowledge.predictions`), empty when
    the fit failed.
    """

    task_id: str
    config_hash: str
    repeat: int
    fold: int
    seed: int
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    error: str = ""
    proba: bytes = b""

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        return (self.task_id, self.config_hash, self.repeat, self.fold, self.seed)


class BaseStorage(abc.ABC):
    """Where tasks, configs and evaluations are kept.

    Guarantees every implementation gives:

    * **Idempotent writes.** Adding a task, config or evaluation that is
      already stored (same task id; same config hash; same task, config,
      repeat, fold and seed) changes nothing and raises nothing. A build
      that is run twice, or resumed, never duplicates a row.
    * **Durability per call.** Each ``add_*`` call is one transaction (an
      evaluation and its predictions together): when it returns, its rows
      survive a killed process (``kill -9``, power loss permitting); when
      the process dies inside it, none of its rows are stored. A build
      therefore loses at most the fits in flight.
    * **Several writers.** Several processes (or machines, with a server
      database) may write at once; uniqueness is enforced by the database,
      not by the writers.
    * **Reads are snapshots** of committed rows, returned as DataFrames.
    * **One search space.** Configs are stored under hashes that depend on
      the search space, so a storage opened for writing records the space's
      version in its ``info`` (``space_version``) and refuses, with
      :func:`check_space`, a KB recorded under another.
    """

    @abc.abstractmethod
    def add_tasks(self, tasks: list[TaskRecord]) -> None:
        """Store tasks not yet known (by ``task_id``)."""

    @abc.abstractmethod
    def add_configs(self, configs: list[dict]) -> None:
        """Store pipeline configs not yet known (by hash)."""

    @abc.abstractmethod
    def add_evaluations(self, rows: list[EvaluationRecord]) -> None:
        """Store evaluation rows whose key is not yet stored."""

    @abc.abstractmethod
    def set_info(self, key: str, value: str) -> None:
        """Record a fact about the knowledge base (version, build command)."""

    @abc.abstractmethod
    def info(self) -> dict[str, str]:
        """Every recorded fact, including ``schema_version``."""

    @abc.abstractmethod
    def done_keys(self) -> set[tuple[str, str, int, int, int]]:
        """Keys ``(task, config, repeat, fold, seed)`` already stored, any status."""

    @abc.abstractmethod
    def tasks(self) -> pd.DataFrame:
        """One row per task; meta-features in a ``metafeatures`` column of tuples."""

    @abc.abstractmethod
    def configs(self) -> dict[str, dict]:
        """Config hash to config."""

    @abc.abstractmethod
    def evaluations(self) -> pd.DataFrame:
        """One row per stored evaluation, metrics as columns."""

    @abc.abstractmethod
    def predictions(self, task_id: str) -> pd.DataFrame:
        """Stored fold predictions of one task: the evaluation key and a ``proba`` blob."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections or files; the storage is not used afterwards."""


def check_space(storage: BaseStorage, name: str = "this knowledge base") -> None:
    """Refuse a KB whose config hashes were computed under another search space.

    A KB whose recorded ``space_version`` is :data:`metamed.space.SPACE_VERSION`
    is accepted at once. One written before versions were recorded, or under
    a space that has since only grown (an optional step such as the
    featurisation of molecules, which no stored config names), is accepted
    when the current space reproduces every stored config's hash (a few
    milliseconds for the shipped KB's 211 configs). Otherwise a stored hash
    would silently never match a config of this metamed, and the KB would
    recommend nothing, or the wrong thing.

    Raises
    ------
    MetamedError
        In one sentence: which versions, and what to do.
    """
    from metamed.space import SPACE_VERSION

    stored = storage.info().get("space_version")
    if stored == SPACE_VERSION:
        return
    changed = _config_hashed_otherwise(storage.configs())
    if changed is None:
        return
    recorded = ("records no search-space version" if stored is None else
                f"was built with search-space version {stored}")
    found = (f"{recorded} and its config {changed} hashes differently in this metamed's "
             f"search space (version {SPACE_VERSION})")
    raise MetamedError(f"{name} {found}; build a new one with `metamed kb build --db NEW_FILE`, "
                       "or use the metamed version it was built with.")


def _config_hashed_otherwise(configs: dict[str, dict]) -> str | None:
    """The first stored hash the current space does not reproduce from its config, if any."""
    from metamed.space import config_hash

    for digest, config in configs.items():
        try:
            if config_hash(config) != digest:
                return digest
        except MetamedError:  # a step, variant or parameter the space no longer has
            return digest
    return None
