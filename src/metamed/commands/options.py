"""Command-line options shared by several commands, declared once.

Typer reads an option's name, default handling and help from its
``Annotated`` type, so a shared type keeps the help text of ``fit``,
``evaluate``, ``recommend`` and ``report`` from drifting apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Data = Annotated[Path, typer.Argument(help="CSV, TSV, Parquet or Excel file.")]
Target = Annotated[str | None, typer.Option(
    "--target", "-t", help="Column to predict (a survival outcome: --time and --event).")]
Time = Annotated[str | None, typer.Option(
    "--time", help="Survival: the follow-up time column (with --event).")]
Event = Annotated[str | None, typer.Option(
    "--event", help="Survival: the event column, 1 event and 0 censored (with --time).")]
Horizons = Annotated[str | None, typer.Option(
    "--horizons", help="Survival: comma-separated times at which survival is predicted and "
                       "scored (default: the quartiles of follow-up).")]
KB = Annotated[str | None, typer.Option(
    "--kb", help="Knowledge base (SQLite path or URL); default: the shipped one.")]
Encoding = Annotated[str, typer.Option(help="Text encoding of CSV/TSV files.")]
Sheet = Annotated[str | None, typer.Option(
    help="Excel sheet to read: its name, or its index (0 for the first; the default).")]
Positive = Annotated[str | None, typer.Option(help="Positive class (default: minority).")]
Group = Annotated[str | None, typer.Option(help="Patient-ID column for repeated measures.")]
TaskKind = Annotated[str, typer.Option(
    "--task", help="auto (a number with fractions or over 20 values is a regression), "
                   "classification or regression.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ModelFile = Annotated[Path, typer.Argument(help="A model saved by `metamed fit`.")]


def _more_than_zero(seconds: float) -> float:
    if seconds <= 0:
        raise typer.BadParameter(f"{seconds:g} is not a time; give more than 0 seconds.")
    return seconds


def _outer_folds(folds: int) -> int:
    if folds == 1 or folds < 0:
        raise typer.BadParameter(f"{folds} folds cannot hold data out; give 0 (no honest "
                                 "estimate) or at least 2.")
    return folds


def _new_file(path: Path | None) -> Path | None:
    """Refuse an output path that cannot be written, before any work is done."""
    if path is None:
        return None
    if path.is_dir():
        raise typer.BadParameter(f"'{path}' is a folder; give a file name.")
    if not path.parent.is_dir():
        raise typer.BadParameter(f"folder '{path.parent}' does not exist.")
    return path


Folds = Annotated[int, typer.Option(min=2, help="CV folds (fewer if a class is small).")]
Repeats = Annotated[int, typer.Option(min=1, help="CV repeats.")]
TimeBudget = Annotated[float, typer.Option(callback=_more_than_zero,
                                           help="Seconds for the whole fit.")]
OuterFolds = Annotated[int, typer.Option(callback=_outer_folds,
                                         help="Outer CV folds for the honest estimate (0: skip).")]
ModelOut = Annotated[Path, typer.Option(callback=_new_file, help="Where to save the model.")]
PredictionsOut = Annotated[Path, typer.Option(callback=_new_file,
                                              help="CSV file for the predictions.")]
HtmlOut = Annotated[Path, typer.Option(callback=_new_file, help="HTML file to write.")]
ReportFile = Annotated[Path | None, typer.Option(
    callback=_new_file,
    help="Also write a self-contained HTML report (with feature importance).")]
