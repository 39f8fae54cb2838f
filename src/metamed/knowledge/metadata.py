"""The meta-training data a meta-learner sees: tasks x configs, in arrays.

A :class:`MetaData` is read once from a storage and then sliced in memory;
leave-one-task-out evaluation removes a task *and its family* (tasks built
from the same rows) with :meth:`MetaData.without`, so a held-out task is
never visible to the learner through a near-copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from metamed.errors import MetamedError
from metamed.kinds import Kind, kind_serving, meta_kind
from metamed.knowledge.metafeatures import (
    APPENDED,
    METAFEATURE_NAMES,
    METAFEATURES_VERSION,
    MOLECULES,
)
from metamed.knowledge.storage import BaseStorage, check_space
from metamed.knowledge.summary import performance_matrix
from metamed.space.families import serves, task_type_of

#: The names each older meta-feature version stored: this version's first ones, without the
#: groups appended since (whose values, for the tasks those versions held, are 0).
OLDER_NAMES = {"1": METAFEATURE_NAMES[: -len(APPENDED)],
               "2": METAFEATURE_NAMES[: -len(MOLECULES)]}


def check_metafeatures(info: dict[str, str]) -> None:
    """Refuse a knowledge base whose meta-features differ from the ones computed here.

    Meta-learners compare a new task's vector with the stored ones position
    by position; vectors of another version or order would be compared
    silently and wrongly. Versions 1 and 2 are accepted: their names are
    this version's first ones, and :func:`stored_vectors` completes their
    vectors exactly.
    """
    version = info.get("metafeatures_version")
    names = json.loads(info.get("metafeatures", "null"))
    if version in OLDER_NAMES and names == list(OLDER_NAMES[version]):
        return
    if version == str(METAFEATURES_VERSION) and names == list(METAFEATURE_NAMES):
        return
    found = f"version {version}" if version else "no recorded version"
    raise MetamedError(
        f"the knowledge base's meta-features ({found}) are not this metamed's (version "
        f"{METAFEATURES_VERSION}, {len(METAFEATURE_NAMES)} values); rebuild it with "
        "`metamed kb build`.")


def stored_vectors(vectors: list[tuple[float, ...]]) -> np.ndarray:
    """Stored meta-feature vectors as rows of this version's matrix.

    A version-1 vector (a classification or regression task, stored before
    the censoring group existed) gets that group's values for such tasks, 0;
    a version-2 vector (a table without a molecule) the molecular group's, 0.
    """
    width = len(METAFEATURE_NAMES)
    return np.array([list(v) + [0.0] * (width - len(v)) for v in vectors], dtype=float)


@dataclass(frozen=True)
class MetaData:
    """Meta-features and cross-validated scores of known tasks.

    Attributes
    ----------
    task_ids : list of str
    content_hashes : list of str
        :meth:`metamed.data.task.Task.content_hash` of each task (as built).
    families : list of str
        Family of each task ("" when it has none).
    metafeatures : array of shape (n_tasks, n_metafeatures)
    configs : list of dict
    config_hashes : list of str
    scores : array of shape (n_tasks, n_configs)
        Mean ROC AUC (R² for regression tasks) over folds; NaN where every
        fold failed.
    seconds : array of shape (n_tasks, n_configs) or None
        Mean seconds of one fold (fit and predict) where it succeeded: what
        a cost model learns from.
    """

    task_ids: list[str]
    content_hashes: list[str]
    families: list[str]
    metafeatures: np.ndarray
    configs: list[dict]
    config_hashes: list[str]
    scores: np.ndarray
    seconds: np.ndarray | None = None

    @property
    def task_type(self) -> str:
        """The kind of task these configs serve (a MetaData holds one kind)."""
        return self.kind.name

    @property
    def kind(self) -> Kind:
        """The kind these configs serve: a task type's, or molecules' (configs that featurise)."""
        found = {(task_type_of(c), "featurize" in c) for c in self.configs}
        if len(found) != 1:
            raise MetamedError(f"meta-data holds the configs of one kind of task; these serve "
                               f"{', '.join(sorted(t for t, _ in found)) or 'none'}.")
        task_type, featurizes = found.pop()
        return kind_serving(task_type, featurizes)

    @classmethod
    def empty(cls, configs: list[dict], hashes: list[str]) -> MetaData:
        """No known task: what a meta-learner sees for a kind of task the KB does not hold."""
        return cls(task_ids=[], content_hashes=[], families=[],
                   metafeatures=np.empty((0, len(METAFEATURE_NAMES))), configs=configs,
                   config_hashes=hashes, scores=np.empty((0, len(configs))))

    @classmethod
    def from_storage(cls, storage: BaseStorage, kind: Kind | str) -> MetaData:
        """Every task of ``kind`` (a task type, or "molecules") on which every config of that
        kind has been tried.

        A KB may hold every kind of task; a config's model family and whether
        it featurises a molecule say which kind it serves (:func:`serves`), so a
        regression never sees a classifier's record, nor a table a molecule's.
        Scores are the type's primary metric (:mod:`metamed.kinds`), each fold's floored at
        the kind's ``score_floor``. A config that failed on
        every fold of a task has NaN there, which counts as that task's
        worst; a config not yet tried would be misread the same way, so
        tasks still being built are left out. Each table is read once.

        Raises
        ------
        MetamedError
            When the storage's meta-features are not the ones this metamed computes, or
            its configs were hashed under another search space.
        """
        check_metafeatures(storage.info())
        check_space(storage)
        kind = meta_kind(kind)
        configs = {h: c for h, c in storage.configs().items() if serves(c, kind)}
        rows, tasks = storage.evaluations(), storage.tasks()
        rows = rows[rows["config_hash"].isin(list(configs))]
        metric = kind.primary
        if rows.empty or metric not in rows.columns:
            return cls.empty(list(configs.values()), list(configs))
        tried = rows.groupby("task_id")["config_hash"].nunique()
        complete = tried[tried == len(configs)].index
        matrix = performance_matrix(rows.assign(**{metric: rows[metric].clip(kind.score_floor)}),
                                    metric)
        matrix = matrix.loc[matrix.index.intersection(complete)]
        tasks = tasks.loc[matrix.index]
        hashes = list(matrix.columns)
        rows = rows.assign(fold_seconds=rows["fit_seconds"] + rows["predict_seconds"])
        seconds = performance_matrix(rows, "fold_seconds").reindex(index=matrix.index,
                                                                   columns=hashes)
        return cls(
            task_ids=list(matrix.index),
            content_hashes=list(tasks["content_hash"]),
            families=[str(f or "") for f in tasks["family"]],
            metafeatures=stored_vectors(tasks["metafeatures"].tolist()),
            configs=[configs[h] for h in hashes],
            config_hashes=hashes,
            scores=matrix.to_numpy(dtype=float),
            seconds=seconds.to_numpy(dtype=float),
        )

    def without(self, task_id: str) -> MetaData:
        """The same data minus ``task_id`` and every task of its family."""
        family = self.families[self.task_ids.index(task_id)]
        return self.with_tasks([
            t != task_id and not (family and f == family)
            for t, f in zip(self.task_ids, self.families, strict=True)
        ])

    def with_tasks(self, keep: list[bool]) -> MetaData:
        """The same configs, with only the tasks where ``keep`` is True."""
        rows = [i for i, k in enumerate(keep) if k]
        return MetaData(
            task_ids=[self.task_ids[i] for i in rows],
            content_hashes=[self.content_hashes[i] for i in rows],
            families=[self.families[i] for i in rows],
            metafeatures=self.metafeatures[rows],
            configs=self.configs,
            config_hashes=self.config_hashes,
            scores=self.scores[rows],
            seconds=None if self.seconds is None else self.seconds[rows],
        )

    def with_configs(self, keep: list[bool]) -> MetaData:
        """The same tasks, with only the configs where ``keep`` is True."""
        columns = [i for i, k in enumerate(keep) if k]
        return MetaData(
            task_ids=self.task_ids, content_hashes=self.content_hashes, families=self.families,
            metafeatures=self.metafeatures, configs=[self.configs[i] for i in columns],
            config_hashes=[self.config_hashes[i] for i in columns],
            scores=self.scores[:, columns],
            seconds=None if self.seconds is None else self.seconds[:, columns],
        )

    def known_as(self, content_hash: str) -> str | None:
        """The id of a stored task with exactly this content, if any."""
        if content_hash in self.content_hashes:
            return self.task_ids[self.content_hashes.index(content_hash)]
        return None

    def filled_scores(self) -> np.ndarray:
        """Scores with a config that failed on a task counted as that task's worst."""
        return np.where(np.isnan(self.scores), np.nanmin(self.scores, axis=1, keepdims=True),
                        self.scores)

    def normalized_scores(self) -> np.ndarray:
        """Per task, 0 for the worst config and 1 for the best; a failed config counts as worst.

        Normalising per task makes an easy task (every config near 0.99) and
        a hard one (0.6 to 0.7) count equally when configs are compared.
        """
        filled = self.filled_scores()
        low = filled.min(axis=1, keepdims=True)
        span = filled.max(axis=1, keepdims=True) - low
        return np.where(span > 0, (filled - low) / np.where(span > 0, span, 1), 1.0)
