"""`metamed report | explain`: the HTML report of a saved model, and per-patient reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metamed.commands.options import Encoding, HtmlOut, ModelFile
from metamed.errors import MetamedError

console = Console()



def report(
    model_file: ModelFile,
    out: HtmlOut = Path("report.html"),
    data: Annotated[Path | None, typer.Option(
        help="The training table: adds missingness, feature importance and partial "
             "dependence.")] = None,
    target: Annotated[str | None, typer.Option("--target", "-t",
                                               help="Target column of --data.")] = None,
    include_rows: Annotated[bool, typer.Option(
        help="Add patient rows with their predictions (off: reports get shared).")] = False,
    encoding: Encoding = "utf-8",
) -> None:
    """Write one self-contained HTML report (data, pipelines, honest performance, model card)."""
    from metamed.automl.persistence import load_model
    from metamed.data.io import load_task
    from metamed.report import write_report

    if (data is None) != (target is None):
        raise MetamedError("--data and --target go together: give both, or neither.")
    model = load_model(model_file)
    task = None if data is None else load_task(
        data, target, encoding=encoding, task_type=model.task_type,
        positive_class=model.state_.positive_class)
    with console.status("writing the report..."):
        path = write_report(model, out, task, include_rows=include_rows)
    console.print(f"report written to {path}", highlight=False)


def explain(
    model_file: ModelFile,
    data: Annotated[Path, typer.Argument(help="Table of patients (training columns; others "
                                              "are ignored).")],
    row: Annotated[int, typer.Option(help="Row to explain (0 = first data row).")] = 0,
    top: Annotated[int, typer.Option(help="How many features to show.")] = 10,
    background: Annotated[Path | None, typer.Option(
        help="Table of typical patients to compare with (default: the DATA table).")] = None,
    encoding: Encoding = "utf-8",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
        = False,
) -> None:
    """Why the model gives one patient their risk (or value): each feature's contribution.

    A contribution is the patient's predicted probability (a regression: the
    predicted value) minus the average one when that one feature is replaced
    by values of typical patients (see `metamed.report.explain` for the
    method and its limits).
    """
    from metamed.automl.persistence import load_model
    from metamed.data.io import read_table
    from metamed.data.validation import conform_features
    from metamed.report.explain import background_sample, explain_rows, outputs

    model = load_model(model_file)
    rows, _ = conform_features(read_table(data, encoding=encoding), model.feature_types_)
    if not 0 <= row < len(rows):
        raise MetamedError(f"--row {row} is outside the table, which has {len(rows)} rows "
                           f"(0 to {len(rows) - 1}).")
    reference = rows if background is None else conform_features(
        read_table(background, encoding=encoding), model.feature_types_)[0]
    proba = outputs(model, rows.iloc[[row]])[0]
    positive = model.state_.positive_index
    index = positive if positive is not None else int(proba.argmax())
    sample = background_sample(reference)
    result = explain_rows(model, rows.iloc[[row]], sample, index)
    result = result.reindex(result["contribution"].abs().sort_values(ascending=False).index)
    summary = _explanation(model, row, proba, index, result.head(top), len(sample))
    summary["background_mean_probability"] = float(outputs(model, sample)[:, index].mean())
    if as_json:
        console.print_json(json.dumps(summary, default=str))
    else:
        _print_explanation(summary)


def _explanation(model, row: int, proba, index: int, result, n_background: int) -> dict:
    labels = ["prediction"] if model.task_type == "regression" else [str(c)
                                                                     for c in model.classes_]
    return {
        "row": row,
        "probabilities": {label: float(p) for label, p in zip(labels, proba, strict=True)},
        "explained_class": labels[index],
        "method": "probability minus mean probability with the feature replaced by background "
                  "values (one feature at a time)",
        "background_rows": n_background,
        "contributions": [{"feature": r.feature, "value": _plain(r.value),
                           "contribution": float(r.contribution)}
                          for r in result.itertuples()],
    }


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def _print_explanation(summary: dict) -> None:
    label = summary["explained_class"]
    risk = summary["probabilities"][label]
    shown = label if label == "prediction" else f"P({label})"
    console.print(f"row {summary['row']}: {shown} = {risk:.4g} (background patients' "
                  f"average: {summary['background_mean_probability']:.4g})", highlight=False)
    table = Table(title=f"what moves {shown} for this patient (vs "
                        f"{summary['background_rows']} background patients)",
                  title_justify="left")
    table.add_column("feature")
    table.add_column("value", justify="right")
    table.add_column("contribution", justify="right")
    for item in summary["contributions"]:
        value = "missing" if item["value"] is None else str(item["value"])
        colour = "red" if item["contribution"] > 0 else "green"
        table.add_row(item["feature"], value,
                      f"[{colour}]{item['contribution']:+.4g}[/]")
    console.print(table)
    console.print(f"positive: raises the {'value' if label == 'prediction' else 'probability'}; "
                  "contributions are one-feature-at-a-time "
                  "and need not add up.", highlight=False)
