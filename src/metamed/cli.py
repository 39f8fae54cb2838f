"""The ``metamed`` command.

Each sub-command is a thin layer over the Python API. User mistakes arrive
here as :class:`MetamedError` and leave as one red sentence and exit code
2; any other exception is a bug and is shown in full only with ``--debug``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from metamed import __version__
from metamed.commands import bench, corpus, fewshot, fitting, kb, report
from metamed.errors import MetamedError

app = typer.Typer(
    name="metamed",
    help="Meta-learning for small medical tables: evaluate, recommend and fit clinical models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(corpus.app, name="corpus", help="The built-in medical task corpus.")
app.add_typer(kb.app, name="kb", help="Build and inspect the knowledge base.")
app.add_typer(bench.app, name="bench", help="Meta-evaluation benchmarks.")
app.add_typer(fewshot.app, name="fewshot", help="Few-shot learning from K examples per class.")
app.command()(fitting.fit)
app.command()(fitting.predict)
app.command()(fitting.recommend)
app.command()(report.report)
app.command()(report.explain)
console = Console()
errors = Console(stderr=True)
_state = {"debug": False}


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def version() -> None:
    """Print the metamed version."""
    console.print(__version__)


@app.command()
def evaluate(
    data: Annotated[Path, typer.Argument(help="CSV, TSV, Parquet or Excel file.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Column to predict.")],
    pipeline: Annotated[
        str,
        typer.Option(
            help="Named pipeline (logreg, svm_linear, svm_rbf, knn, gnb, tree, rf, et, hgb, "
            "lgbm, xgb, mlp) or a config .json file."
        ),
    ] = "logreg",
    folds: Annotated[int, typer.Option(help="CV folds (fewer if a class is small).")] = 5,
    repeats: Annotated[int, typer.Option(help="CV repeats.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed of splits and bootstrap.")] = 0,
    positive: Annotated[
        str | None, typer.Option(help="Positive class (default: minority).")
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="Patient-ID column for repeated measures.")
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV/TSV files.")] = "utf-8",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Cross-validate one pipeline and print every metric with a 95% CI."""
    from metamed.evaluation import evaluate as run_evaluation
    from metamed.io import load_task
    from metamed.reporting import evaluation_summary, print_evaluation
    from metamed.space import pipeline_for_task

    task = load_task(data, target, encoding=encoding, positive_class=positive, group_column=group)
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


def _stop(signum, frame) -> None:
    """SIGTERM (a scheduler ending a job, `kill`) stops like Ctrl-C: cleanly, keeping work."""
    raise KeyboardInterrupt


def _exit_interrupted() -> None:
    """Leave with 130 at once, skipping interpreter shutdown.

    Stored rows are already committed. A normal shutdown after an interrupt
    can abort the process: a fit left running in a daemon thread, or a
    native library's thread pool torn down mid-work ("terminate called
    without an active exception"), turns a clean exit 130 into SIGABRT.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one sentence."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        code = app(args=argv, prog_name="metamed", standalone_mode=False)
        if code == 130:  # typer's answer to Ctrl-C / SIGTERM outside standalone mode
            raise KeyboardInterrupt
        if isinstance(code, int) and code:
            sys.exit(code)
    except MetamedError as error:
        if _state["debug"]:
            raise
        errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        errors.print("interrupted; work already saved is kept.")
        _exit_interrupted()
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as error:  # click usage errors carry their own message
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        if _state["debug"]:
            raise
        errors.print(
            f"[bold red]internal error:[/] {type(error).__name__}: {error} "
            "(run with --debug for the traceback and please report it)",
            highlight=False,
        )
        sys.exit(1)
