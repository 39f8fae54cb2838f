"""`metamed kb build | info`: fill and inspect a knowledge base."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from metamed.errors import MetamedError
from metamed.kinds import KINDS, META_KINDS

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("build")
def build_command(
    db: Annotated[str, typer.Option(help="SQLite file or database URL to fill.")] = "kb.sqlite",
    tasks: Annotated[str, typer.Option(
        help="Comma-separated corpus slugs, 'all', or one kind of task "
             "('classification', 'regression', 'survival': tables; 'molecules', "
             "'molecule_classes').")] = "all",
    portfolio: Annotated[
        str,
        typer.Option(
            help="Number of configs of each default portfolio (classification, regression, "
                 "survival), "
                 "or a JSON file with a list of configs; each task gets those of its type."
        ),
    ] = "all",
    folds: Annotated[int, typer.Option(help="CV folds per task.")] = 3,
    repeats: Annotated[int, typer.Option(help="CV repeats per task.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the CV splits.")] = 0,
    workers: Annotated[int, typer.Option(help="Parallel workers.")] = 1,
    backend: Annotated[str, typer.Option(help="'local' processes or 'dask'.")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask scheduler (tcp://host:8786).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per fit.")] = 60.0,
) -> None:
    """Evaluate every config x task x fold not yet stored (resumable; Ctrl-C safe)."""
    from metamed import corpus
    from metamed.knowledge import open_storage
    from metamed.knowledge.build import (
        BuildSettings,
        execute,
        plan_build,
        record_protocol,
        register_tasks,
    )

    storage = open_storage(db)
    configs = _portfolio(portfolio)
    slugs = _slugs(tasks)
    settings = BuildSettings(folds, repeats, seed, timeout, workers, backend, scheduler)
    record_protocol(storage, settings)
    storage.add_configs(configs)
    storage.set_info("build_command", "metamed kb build " + shlex.join(sys.argv[3:]))
    with console.status(f"describing {len(slugs)} tasks (meta-features)..."):
        families = {e.slug: e.family for e in corpus.entries()}
        prepared = register_tasks(storage, list(slugs), families, corpus.load_task)
    plan = plan_build(storage, list(slugs), prepared, configs, settings, corpus.load_task)
    console.print(
        f"{plan.n_done} fits already stored; {plan.n_fits} to run in "
        f"{len(plan.units)} units on {workers} {backend} worker(s)."
    )
    started = time.perf_counter()
    try:
        with _progress_bar() as bar:
            job = bar.add_task("fits", total=plan.n_fits, failed=0)
            for records in execute(storage, plan, settings):
                failed = sum(r.status != "ok" for r in records)
                bar.update(job, advance=len(records),
                           failed=bar.tasks[job].fields["failed"] + failed)
    finally:
        _add_build_time(storage, time.perf_counter() - started)
    console.print(f"done in {time.perf_counter() - started:.0f} s.")


def _add_build_time(storage, seconds: float) -> None:
    """Wall time of every run of the build, summed over resumes (a killed run is not counted)."""
    total = float(storage.info().get("build_wall_seconds", 0)) + seconds
    storage.set_info("build_wall_seconds", f"{total:.0f}")


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed: {task.fields[failed]}"),
        TimeRemainingColumn(elapsed_when_finished=True),
        console=console,
    )


def _portfolio(spec: str) -> list[dict]:
    from metamed.space import default_portfolio, validate_config
    from metamed.space.portfolio import (
        molecular_portfolio,
        regression_portfolio,
        survival_portfolio,
    )

    portfolios = [default_portfolio(), regression_portfolio(), survival_portfolio(),
                  molecular_portfolio("regression"), molecular_portfolio("classification")]
    if spec == "all":
        return [config for portfolio in portfolios for config in portfolio]
    if spec.isdigit():
        return [config for portfolio in portfolios for config in portfolio[: int(spec)]]
    path = Path(spec)
    if not path.is_file():
        raise MetamedError(f"portfolio '{spec}' is neither a number nor an existing JSON file.")
    configs = json.loads(path.read_text())
    for config in configs:
        validate_config(config)
    return configs


def _slugs(spec: str) -> list[str]:
    from metamed import corpus

    if spec == "all":
        return [e.slug for kind in KINDS for e in corpus.select(task_type=kind)]
    if spec in META_KINDS:
        return [e.slug for e in corpus.entries() if e.meta_kind == spec]
    slugs = [s.strip() for s in spec.split(",") if s.strip()]
    for slug in slugs:
        corpus.get_entry(slug)  # an unknown name is refused in one sentence
    return slugs


@app.command("info")
def info_command(
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file or database URL (default: the shipped knowledge base)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Summarise a knowledge base: tasks, configs, evaluations, failures, winners."""
    from metamed.knowledge import open_storage
    from metamed.knowledge.summary import summarize, top_errors

    storage = open_storage(db, read_only=True)
    summary = {**summarize(storage), "info": storage.info()}
    if as_json:
        console.print_json(json.dumps(summary))
        return
    table = Table(title=f"knowledge base {storage!r}", title_justify="left", show_header=False)
    for key in ("tasks", "configs", "evaluations", "ok", "failed", "timeout"):
        table.add_row(key, f"{summary[key]:,}")
    table.add_row("failed or timed out", f"{summary['failed_share']:.2%}")
    table.add_row("total fit time", f"{summary['fit_hours']:.2f} h (sum over fits)")
    for key, value in summary["info"].items():
        table.add_row(key, value)
    console.print(table)
    wins = ", ".join(f"{family} {n}" for family, n in summary["best_families"].items())
    console.print(
        f"tasks won by model family (best mean ROC AUC): {wins or 'none yet'}", highlight=False
    )
    if "best_regression_families" in summary:
        wins = ", ".join(f"{f} {n}" for f, n in summary["best_regression_families"].items())
        console.print(f"regression tasks won by model family (best mean R²): {wins}",
                      highlight=False)
    errors = top_errors(storage)
    for reason, count in errors.items():
        console.print(f"  {count} x {reason}", highlight=False)


@app.command("copy")
def copy_command(
    db: Annotated[str, typer.Option(help="Knowledge base to copy from (path or URL).")],
    to: Annotated[str, typer.Option(help="Knowledge base to copy into (path or URL).")],
    compact: Annotated[bool, typer.Option(
        help="For a SQLite target: rewrite it small, without WAL files (for shipping).")] = True,
    kb_version: Annotated[str | None, typer.Option(
        help="Version label recorded in the copy (e.g. for the shipped KB).")] = None,
) -> None:
    """Copy a knowledge base, e.g. from PostgreSQL into a SQLite file to share; a target
    ending in .sqlite.xz is packed as the package ships its KB."""
    from metamed.knowledge import open_storage
    from metamed.knowledge.rdb import sqlite_file
    from metamed.knowledge.shipped import pack
    from metamed.knowledge.transfer import compact_sqlite, copy_storage

    packed = to.endswith(".sqlite.xz")
    database = to.removesuffix(".xz") if packed else to
    source = open_storage(db, read_only=True)
    target = open_storage(database)
    copied = copy_storage(source, target)
    if kb_version:
        target.set_info("kb_version", kb_version)
    target.close()
    if (compact or packed) and sqlite_file(database):
        compact_sqlite(sqlite_file(database))
    if packed:
        pack(Path(database), Path(to))
        Path(database).unlink()
    console.print(f"copied {copied:,} evaluations into {to}", highlight=False)
