"""What a knowledge base holds, in numbers a person can check (`metamed kb info`)."""

from __future__ import annotations

import pandas as pd

from metamed.knowledge.storage import BaseStorage


def performance_matrix(rows: pd.DataFrame, metric: str = "roc_auc") -> pd.DataFrame:
    """Tasks x configs: mean of ``metric`` over successful folds (NaN where none succeeded).

    ``rows`` are a storage's evaluations (:meth:`BaseStorage.evaluations`).
    """
    ok = rows[rows["status"] == "ok"]
    return ok.pivot_table(index="task_id", columns="config_hash", values=metric, aggfunc="mean")


def summarize(storage: BaseStorage) -> dict:
    """Counts, failure share, build time, and which model families win most often."""
    rows = storage.evaluations()
    configs = storage.configs()
    status = rows["status"].value_counts() if len(rows) else pd.Series(dtype=int)
    summary = {
        "tasks": int(len(storage.tasks())),
        "configs": int(len(configs)),
        "evaluations": int(len(rows)),
        "ok": int(status.get("ok", 0)),
        "failed": int(status.get("failed", 0)),
        "timeout": int(status.get("timeout", 0)),
        "failed_share": float((len(rows) - status.get("ok", 0)) / len(rows)) if len(rows) else 0.0,
        "fit_hours": float(rows["fit_seconds"].sum() / 3600) if len(rows) else 0.0,
        "best_families": _best_families(rows, configs, "roc_auc"),
    }
    if "r2" in rows and rows["r2"].notna().any():
        summary["best_regression_families"] = _best_families(rows, configs, "r2")
    return summary


def _best_families(rows: pd.DataFrame, configs: dict[str, dict],
                   metric: str) -> dict[str, int]:
    """How many tasks each model family wins (best mean ROC AUC, or R² for regression tasks),
    most wins first."""
    matrix = performance_matrix(rows, metric)
    if matrix.empty:
        return {}
    winners = matrix.idxmax(axis=1).dropna()
    families = winners.map(lambda h: configs[h]["model"]["name"])
    return {str(k): int(v) for k, v in families.value_counts().items()}


def top_errors(storage: BaseStorage, n: int = 5) -> pd.DataFrame:
    """The most frequent failure reasons, to fix the space or the data."""
    rows = storage.evaluations()
    failed = rows[rows["status"] != "ok"]
    return failed.groupby("error").size().sort_values(ascending=False).head(n).rename("count")
