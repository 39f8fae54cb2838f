"""The ``metamed`` command.

Each sub-command is a thin layer over the Python API. User mistakes arrive
here as :class:`MetamedError` and leave as one red sentence and exit code
2; any other exception is a bug and is shown in full only with ``--debug``.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated

import typer
from rich.console import Console

from metamed import __version__
from metamed.commands import bench, corpus, evaluate, fewshot, fitting, kb, report
from metamed.errors import MetamedError, one_line

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
app.command()(evaluate.evaluate)
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
    except typer.TyperException as error:  # a wrong argument or option: one sentence too
        errors.print(f"[bold red]error:[/] {error.format_message()}", highlight=False,
                     soft_wrap=True)
        sys.exit(error.exit_code)
    except Exception as error:
        if _state["debug"]:
            raise
        errors.print(
            f"[bold red]internal error:[/] {one_line(error)} "
            "(run with --debug for the traceback and please report it)",
            highlight=False,
        )
        sys.exit(1)
