"""Copy a knowledge base between storages (PostgreSQL -> SQLite file, file -> file).

Copying goes through the storage interface, so it works between any two
back-ends and is idempotent like every write: copying twice adds nothing.
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from metamed.knowledge.storage import BaseStorage, EvaluationRecord, TaskRecord

KEY = ("task_id", "config_hash", "repeat", "fold", "seed")
METRIC_COLUMNS_EXCLUDED = (*KEY, "status", "error", "fit_seconds", "predict_seconds", "proba")


def copy_storage(source: BaseStorage, target: BaseStorage) -> int:
    """Copy every task, config, evaluation (with its predictions) and info entry.

    Evaluations go task by task, so memory holds one task's prediction
    blobs at a time. Returns the number of evaluations copied.
    """
    target.add_configs(list(source.configs().values()))
    tasks = source.tasks()
    target.add_tasks([_task_record(task_id, row) for task_id, row in tasks.iterrows()])
    rows = source.evaluations()
    for task_id, group in rows.groupby("task_id"):
        blobs = source.predictions(str(task_id))
        merged = group.merge(blobs, how="left", on=list(KEY)) if len(blobs) else group
        target.add_evaluations([_evaluation_record(r) for r in merged.to_dict(orient="records")])
    for key, value in source.info().items():
        if key != "schema_version":
            target.set_info(key, value)
    return len(rows)


def _task_record(task_id: str, row: pd.Series) -> TaskRecord:
    return TaskRecord(task_id=task_id, content_hash=row["content_hash"], n_rows=int(row["n_rows"]),
                      n_features=int(row["n_features"]), n_classes=int(row["n_classes"]),
                      metafeatures=tuple(row["metafeatures"]), source=row["source"],
                      family=row["family"], note=row["note"])


def _evaluation_record(row: dict) -> EvaluationRecord:
    metrics = {k: v for k, v in row.items() if k not in METRIC_COLUMNS_EXCLUDED and pd.notna(v)}
    return EvaluationRecord(row["task_id"], row["config_hash"], int(row["repeat"]),
                            int(row["fold"]), int(row["seed"]), row["status"], metrics,
                            float(row["fit_seconds"]), float(row["predict_seconds"]),
                            row["error"], _blob(row.get("proba")))


def _blob(value) -> bytes:
    """A stored prediction blob as bytes; empty where the evaluation has none (NaN after merge)."""
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b""


def compact_sqlite(path: str) -> None:
    """Rewrite a SQLite KB small and self-contained (no WAL side files), ready to ship."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    connection = sqlite3.connect(path)
    connection.execute("VACUUM")
    connection.close()

