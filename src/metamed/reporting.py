"""Terminal and JSON presentation of tasks and evaluations.

Kept apart from the computations so that the numbers a person reads on
screen, in JSON and (later) in the HTML report come from one place.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from metamed.evaluation import Evaluation
from metamed.evaluation.metrics import HIGHER_IS_BETTER
from metamed.task import Task

METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "sensitivity": "Sensitivity (recall)",
    "specificity": "Specificity",
    "precision": "Precision (PPV)",
    "f1": "F1",
    "brier": "Brier score",
    "log_loss": "Log loss",
    "calibration_slope": "Calibration slope (ideal 1)",
    "calibration_intercept": "Calibration intercept (ideal 0)",
}


def task_summary(task: Task) -> dict:
    """Size, classes and what validation did, as plain data."""
    return {
        "name": task.name,
        "source": task.provenance.source,
        "rows": task.n_rows,
        "features": task.n_features,
        "numeric_features": len(task.columns_of("numeric")),
        "categorical_features": len(task.columns_of("categorical")),
        "class_counts": {str(c): n for c, n in task.class_counts.items()},
        "positive_class": None if task.positive_class is None else str(task.positive_class),
        "grouped": task.groups is not None,
        "notes": list(task.notes),
        "warnings": list(task.warnings),
    }


def evaluation_summary(task: Task, config: dict, result: Evaluation) -> dict:
    """Everything `metamed evaluate --json` prints."""
    return {"task": task_summary(task), "pipeline": config, **result.to_dict()}


def print_task(console: Console, task: Task) -> None:
    """Sizes, class balance, notes and warnings, before any result."""
    counts = ", ".join(f"{c}: {n}" for c, n in task.class_counts.items())
    positive = f"; positive class: {task.positive_class}" if task.positive_class is not None else ""
    console.print(
        f"[bold]{task.name}[/]: {task.n_rows} rows, {task.n_features} features "
        f"({len(task.columns_of('numeric'))} numeric, {len(task.columns_of('categorical'))} "
        f"categorical); classes {counts}{positive}",
        highlight=False,
    )
    for note in task.notes:
        console.print(f"  note: {note}", highlight=False)
    for warning in task.warnings:
        console.print(f"  [yellow]warning:[/] {warning}", highlight=False)


def print_evaluation(console: Console, task: Task, pipeline: str, result: Evaluation) -> None:
    """The metrics table with 95% intervals."""
    print_task(console, task)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)
    averaged = "" if task.is_binary else " (macro-averaged over classes)"
    table = Table(
        title=f"{pipeline}: {result.n_repeats}x repeated {result.n_splits}-fold CV{averaged}",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("estimate", justify="right")
    table.add_column("95% CI", justify="right")
    for name, interval in result.metrics.items():
        arrow = {True: " ↑", False: " ↓", None: ""}[HIGHER_IS_BETTER[name]]
        table.add_row(
            f"{METRIC_LABELS[name]}{arrow}",
            f"{interval.estimate:.3f}",
            f"{interval.low:.3f} – {interval.high:.3f}",
        )
    console.print(table)
    console.print(f"fit time: {result.fit_seconds:.1f} s over {len(result.oof_proba)} repeats",
                  highlight=False)
