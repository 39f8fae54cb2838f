"""The ``metamed`` command.

Each sub-command is a thin layer over the Python API. User mistakes arrive
here as :class:`MetamedError` and leave as one red sentence and exit code
2; any other exception is a bug and is shown in full only with ``--debug``.

A command's module is imported only when that command runs (or when the
help lists it): ``metamed predict`` never pays for the fitting, corpus or
few-shot code, and ``metamed --version`` for none of them.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
from collections.abc import Iterator, MutableMapping
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from metamed import __version__
from metamed.errors import MetamedError, one_line

#: What Typer builds for a command: recent Typer carries its own copy of click, so metamed
#: names Typer's classes and never imports click itself (it is not a dependency of Typer).
_Command = TyperCommand | TyperGroup

#: Each command's module in ``metamed.commands`` and attribute: a function, or a sub-app with
#: the help line shown for it.
_COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "evaluate": ("evaluate", "evaluate", None),
    "fit": ("fitting", "fit", None),
    "predict": ("fitting", "predict", None),
    "recommend": ("fitting", "recommend", None),
    "report": ("report", "report", None),
    "explain": ("report", "explain", None),
    "corpus": ("corpus", "app", "The built-in medical task corpus."),
    "kb": ("kb", "app", "Build and inspect the knowledge base."),
    "bench": ("bench", "app", "Meta-evaluation benchmarks."),
    "fewshot": ("fewshot", "app", "Few-shot learning from K examples per class."),
}


class _LazyCommands(MutableMapping):
    """Command name to click command; a command of :data:`_COMMANDS` is built on first access.

    Typer's group reads its commands from this one mapping (to run one, to
    list them in the help, to suggest a name for a typo), so every path
    sees every command while only the one used is imported.
    """

    def __init__(self, eager: MutableMapping[str, _Command]) -> None:
        self._built = dict(eager)

    def __getitem__(self, name: str) -> _Command:
        if name not in self._built and name in _COMMANDS:
            self._built[name] = _command(name)
        return self._built[name]

    def __setitem__(self, name: str, command: _Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in _COMMANDS

    def __iter__(self) -> Iterator[str]:
        """Commands, then the group's own (``version``), then sub-apps, as the help lists them."""
        plain = [n for n, (_, _, sub_app) in _COMMANDS.items() if sub_app is None]
        own = [n for n in self._built if n not in _COMMANDS]
        return iter([*plain, *own, *(n for n in _COMMANDS if n not in plain)])

    def __len__(self) -> int:
        return len(self._built.keys() | _COMMANDS.keys())


class _LazyGroup(TyperGroup):
    """The top-level group, with its commands in a :class:`_LazyCommands`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands(self.commands)


def _command(name: str) -> _Command:
    """The click command ``name``, built by Typer from its module (imported now)."""
    module, attribute, help_line = _COMMANDS[name]
    target = getattr(importlib.import_module(f"metamed.commands.{module}"), attribute)
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a callback keeps ``holder`` a group of one command
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name, help=help_line)
    else:
        holder.command(name=name)(target)
    return typer.main.get_group(holder).commands[name]


app = typer.Typer(
    name="metamed",
    cls=_LazyGroup,
    help="Meta-learning for small medical tables: evaluate, recommend and fit clinical models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)
_state = {"debug": False}


def _print_version(wanted: bool) -> None:
    if wanted:
        console.print(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the metamed version and exit.")] = False,
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
    """Entry point: run the app, turning user errors into one sentence.

    ``argv`` None is the command line itself (``metamed``, ``python -m
    metamed``), whose process ends when this returns; a list is a call from
    Python (the tests), whose process goes on.
    """
    signal.signal(signal.SIGTERM, _stop)
    try:
        _run(argv)
    finally:
        if argv is None:
            _skip_final_collection()


def _skip_final_collection() -> None:
    """Let the interpreter's shutdown skip its last garbage collection (0.3 s with a model).

    ``gc.freeze`` moves every object into a generation the collector never
    visits. Shutdown still releases objects by reference counting, closes
    files and runs ``atexit`` handlers; it only stops walking the millions of
    objects scikit-learn, SciPy and pandas leave behind, which the operating
    system reclaims at once.
    """
    gc.freeze()


def _run(argv: list[str] | None) -> None:
    """Run the app; a user error leaves as one sentence and exit code 2, a bug as exit 1."""
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
