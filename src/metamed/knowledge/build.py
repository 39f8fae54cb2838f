"""Fill a knowledge base: every task x config x fold not yet stored.

The build is resumable by construction: it asks the storage which
(task, config, repeat, fold, seed) keys exist and plans only the rest, and
it stores each unit's rows the moment the unit finishes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from metamed.data.task import Task
from metamed.errors import MetamedError
from metamed.evaluation import plan_cv
from metamed.knowledge.executors import run_units
from metamed.knowledge.metafeatures import (
    METAFEATURE_NAMES,
    METAFEATURES_VERSION,
    compute_metafeatures,
)
from metamed.knowledge.predictions import PREDICTIONS_FORMAT
from metamed.knowledge.storage import BaseStorage, EvaluationRecord, TaskRecord
from metamed.knowledge.units import Loader, Unit, cap_task
from metamed.space import config_hash
from metamed.space.families import serves

Progress = Callable[[list[EvaluationRecord]], None]


@dataclass(frozen=True)
class BuildSettings:
    """The CV protocol and limits of a build (stored keys depend on them)."""

    n_splits: int = 3
    n_repeats: int = 1
    seed: int = 0
    timeout: float = 60.0
    workers: int = 1
    backend: str = "local"
    scheduler: str | None = None


@dataclass(frozen=True)
class BuildPlan:
    """Units still to run, and how many fits they hold."""

    units: list[Unit]
    n_fits: int
    n_done: int


def record_protocol(storage: BaseStorage, settings: BuildSettings) -> None:
    """Write the CV protocol into the KB, refusing to extend a KB built with another one.

    Stored keys name a fold by its number only: a 5-fold build resumed in a
    3-fold KB would take folds 0-2 as done and mix two protocols. The
    protocol is also what rebuilds the folds of the stored predictions.
    """
    protocol = json.dumps({"n_splits": settings.n_splits, "n_repeats": settings.n_repeats,
                           "seed": settings.seed})
    stored = storage.info().get("cv_protocol")
    if stored is not None and stored != protocol:
        raise MetamedError(f"this knowledge base was built with CV protocol {stored}, not "
                           f"{protocol}; build into a new file or use the same --folds.")
    if storage.done_keys() and stored is None:
        return  # built before protocols were recorded: its protocol is in build_command
    storage.set_info("cv_protocol", protocol)
    storage.set_info("predictions_format", PREDICTIONS_FORMAT)


def register_tasks(storage: BaseStorage, tasks: list[Task | str],
                   families: dict[str, str] | None = None,
                   load: Loader | None = None) -> list[Task]:
    """Describe each task in the storage; return the tasks as the build will fit them (capped).

    Tasks given by name are read with ``load``. Meta-features describe the
    capped table the portfolio is evaluated on; the content hash is that of
    the table as loaded, so a user's copy of it is recognised. Vectors
    already stored under version 1 stay as they are: they read as version 2
    (:func:`~metamed.knowledge.metadata.stored_vectors`).
    """
    known = set(storage.tasks().index)
    prepared, records = [], []
    for ref in tasks:
        full = _resolve(ref, load)
        task = cap_task(full)
        prepared.append(task)
        if task.name not in known:
            records.append(_record(full, task, (families or {}).get(task.name) or ""))
    storage.add_tasks(records)
    storage.set_info("metafeatures_version", str(METAFEATURES_VERSION))
    storage.set_info("metafeatures", json.dumps(list(METAFEATURE_NAMES)))
    return prepared


def _resolve(ref: Task | str, load: Loader | None) -> Task:
    if isinstance(ref, Task):
        return ref
    if load is None:
        raise MetamedError(f"task {ref!r} is given by name, but the build has no loader for it.")
    return load(ref)


def _record(full: Task, task: Task, family: str) -> TaskRecord:
    return TaskRecord(
        task_id=task.name, content_hash=full.content_hash(), n_rows=task.n_rows,
        n_features=task.n_features, n_classes=len(task.classes),
        metafeatures=tuple(compute_metafeatures(task)),
        source=task.provenance.source, family=family,
        note="; ".join(n for n in task.notes if "subsampled" in n),
    )


def plan_build(storage: BaseStorage, tasks: list[Task | str], prepared: list[Task],
               configs: list[dict], settings: BuildSettings,
               load: Loader | None = None) -> BuildPlan:
    """Units for every (task, config) with at least one fold not yet stored.

    A task gets the configs of its own kind only (classifiers for a
    classification, regressors for a regression, configs that featurise for
    a table of molecules), so one KB holds every kind and one list of configs
    serves a mixed build. Small tasks come first, so an interrupted build leaves as many complete
    tasks as possible (meta-learners use only tasks evaluated on every config).
    """
    done = storage.done_keys()
    units, n_fits, n_done = [], 0, 0
    pairs = sorted(zip(tasks, prepared, strict=True), key=lambda p: p[1].n_rows * p[1].n_features)
    for ref, task in pairs:
        plan = plan_cv(task, settings.n_splits, settings.n_repeats, settings.seed)
        folds = [(s.repeat, s.fold) for s in plan.splits]
        for config in [c for c in configs if serves(c, task.kind)]:
            digest = config_hash(config)
            skip = frozenset(f for f in folds if (task.name, digest, *f, settings.seed) in done)
            n_done += len(skip)
            if len(skip) < len(folds):
                n_fits += len(folds) - len(skip)
                units.append(Unit(ref, config, settings.n_splits, settings.n_repeats,
                                  settings.seed, settings.timeout, skip, load))
    return BuildPlan(units, n_fits, n_done)


def execute(storage: BaseStorage, plan: BuildPlan, settings: BuildSettings,
            progress: Progress | None = None) -> Iterator[list[EvaluationRecord]]:
    """Run the plan, storing each unit's rows as soon as it finishes."""
    results = run_units(plan.units, workers=settings.workers, backend=settings.backend,
                        scheduler=settings.scheduler)
    for records in results:
        storage.add_evaluations(records)
        if progress is not None:
            progress(records)
        yield records


def build(storage: BaseStorage, tasks: list[Task | str], configs: list[dict],
          settings: BuildSettings = BuildSettings(), progress: Progress | None = None,
          families: dict[str, str] | None = None, load: Loader | None = None) -> int:
    """Register tasks and configs, run what is missing; return the number of fits run."""
    record_protocol(storage, settings)
    storage.add_configs(configs)
    prepared = register_tasks(storage, tasks, families, load)
    plan = plan_build(storage, tasks, prepared, configs, settings, load)
    return sum(len(records) for records in execute(storage, plan, settings, progress))
