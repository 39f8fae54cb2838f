"""`metamed evaluate`: cross-validate one pipeline and print every metric with its CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from metamed.commands.options import (
    AsJson,
    Data,
    Encoding,
    Folds,
    Group,
    Positive,
    Repeats,
    Sheet,
    Target,
    TaskKind,
)
from metamed.errors import MetamedError

console = Console()


def evaluate(
    data: Data,
    target: Target,
    pipeline: Annotated[str, typer.Option(
        help="A model family at its defaults (logreg, rf, ridge_cv, rf_reg, ...; a wrong name "
             "lists them all), or a config .json file. Default: the task's baseline (plain "
             "logistic regression, or ridge with its penalty tuned).")] = "",
    folds: Folds = 5,
    repeats: Repeats = 3,
    seed: Annotated[int, typer.Option(help="Random seed of splits and bootstrap.")] = 0,
    positive: Positive = None,
    group: Group = None,
    encoding: Encoding = "utf-8",
    task_type: TaskKind = "auto",
    as_json: AsJson = False,
    sheet: Sheet = None,
) -> None:
    """Cross-validate one pipeline and print every metric with a 95% CI."""
    from metamed.data.io import load_task
    from metamed.evaluation import evaluate as run_evaluation
    from metamed.report.terminal import evaluation_summary, print_evaluation
    from metamed.space import pipeline_for_task

    task = load_task(data, target, encoding=encoding, positive_class=positive, group_column=group,
                     task_type=task_type, sheet=sheet)
    pipeline = pipeline or task.kind.baseline
    config = _resolve_config(pipeline)
    estimator = pipeline_for_task(config, task)
    result = run_evaluation(
        task, estimator, n_splits=folds, n_repeats=repeats, seed=seed, name=pipeline
    )
    if as_json:
        console.print_json(json.dumps(evaluation_summary(task, config, result)))
    else:
        print_evaluation(console, task, pipeline, result)


def _resolve_config(spec: str) -> dict:
    """A pipeline given by name, or by the path of a JSON config file."""
    from metamed.space import named_config, validate_config

    if not spec.lower().endswith(".json"):
        return named_config(spec)
    path = Path(spec)
    if not path.is_file():
        raise MetamedError(f"pipeline config file '{path}' does not exist.")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise MetamedError(f"pipeline config '{path}' is not valid JSON: {error.msg}.") from error
    validate_config(config)
    return config
