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
Target = Annotated[str, typer.Option("--target", "-t", help="Column to predict.")]
KB = Annotated[str | None, typer.Option(
    "--kb", help="Knowledge base (SQLite path or URL); default: the shipped one.")]
Encoding = Annotated[str, typer.Option(help="Text encoding of CSV/TSV files.")]
Positive = Annotated[str | None, typer.Option(help="Positive class (default: minority).")]
Group = Annotated[str | None, typer.Option(help="Patient-ID column for repeated measures.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ModelFile = Annotated[Path, typer.Argument(help="A model saved by `metamed fit`.")]
