"""`metamed bench loto`: leave-one-task-out comparison of meta-learners."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from metamed.errors import MetamedError

if TYPE_CHECKING:  # pandas and the corpus load with the command, not with `metamed --help`
    import pandas as pd

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("loto")
def loto(
    kb: Annotated[str | None, typer.Option(
        "--kb", help="Knowledge base (default: the shipped one).")] = None,
    learners: Annotated[str | None, typer.Option(
        help="Comma-separated learner names (default: every learner); search mode also takes "
             "'oracle', a reference row that peeks at the held-out task's KB scores.")] = None,
    mode: Annotated[str, typer.Option(
        help="'zero-shot' (top recommendation, scored from the KB) or 'search' (the full "
             "budgeted procedure in nested CV on each held-out task).")] = "zero-shot",
    budget: Annotated[float, typer.Option(help="Seconds per task and learner (search).")] = 60,
    max_tasks: Annotated[int, typer.Option(
        help="Search mode: the N smallest tasks (0 = all).")] = 0,
    stride: Annotated[int, typer.Option(
        min=1, help="Search mode: every N-th task in size order, a spread sample (1 = all).")] = 1,
    offset: Annotated[int, typer.Option(
        help="Search mode: start the sample at this position (--stride 2 --offset 1 takes "
             "the tasks --stride 2 leaves out).")] = 0,
    candidates: Annotated[int | None, typer.Option(
        help="Search mode: recommended configs each learner's search evaluates (default: as "
             "many as `metamed fit` does).")] = None,
    repeats: Annotated[int, typer.Option(
        min=1, help="Search mode: inner CV repeats for the configs that survive the first.")] = 1,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Search mode: the probability of a real gain needed to leave "
                               "logistic regression (default: as `metamed fit`).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="CSV file for the per-task rows. Search mode writes it as tasks finish and, "
             "when it exists, skips the tasks already in it (resume).")] = None,
    jobs: Annotated[int, typer.Option(help="Search mode: tasks run in parallel.")] = 1,
    markdown: Annotated[bool, typer.Option(help="Print a markdown table (for docs).")] = False,
    task_type: Annotated[str, typer.Option(
        "--task", help="The KB's classification tasks (against plain logistic regression), "
                       "its regression tasks (against the tuned ridge), survival tasks (against "
                       "the Cox model), molecules (regressions, against SVR on ECFP4) or "
                       "molecule_classes (active or not, against an SVM on ECFP4).")
    ] = "classification",
) -> None:
    """Each task held out in turn (with its family); learners fitted on the rest."""
    from metamed.automl.loto import loto_zero_shot, size_order, summarize
    from metamed.automl.policy import default_policy
    from metamed.automl.procedure import load_metadata
    from metamed.kinds import meta_kind
    from metamed.learners import N_CANDIDATES

    kind = meta_kind(task_type)  # an unknown kind is refused before the KB is read
    metadata = load_metadata(kb, task_type)
    if not metadata.task_ids:
        raise MetamedError(f"the knowledge base holds no complete {kind.meta_words} tasks to "
                           f"hold out; build them with `metamed kb build --tasks {task_type}`.")
    names = _default_learners(task_type) if learners is None else [
        n.strip() for n in learners.split(",") if n.strip()]
    if mode == "zero-shot":
        rows = loto_zero_shot(metadata, names)
    elif mode == "search":
        order = size_order(metadata)
        task_ids = [metadata.task_ids[i] for i in order][offset::stride][: max_tasks or None]
        if not task_ids:
            raise MetamedError(f"no task left to hold out: the KB has {len(order)} tasks and "
                               f"--offset {offset} --stride {stride} takes none of them.")
        policy = None if threshold is None else replace(default_policy(task_type),
                                                        threshold=threshold)
        search = {"n_candidates": candidates or N_CANDIDATES, "n_repeats": repeats,
                  "policy": policy}
        rows = _search_rows(metadata, names, task_ids, budget, jobs, out, search)
    else:
        raise MetamedError(f"unknown mode {mode!r}; use 'zero-shot' or 'search'.")
    if out is not None and mode == "zero-shot":
        rows.to_csv(out, index=False)
    _show(summarize(rows), markdown, f"leave-one-task-out, {mode}"
          + (f", {budget:g} s per task" if mode == "search" else ""))


def _default_learners(task_type: str) -> list[str]:
    """Every meta-learner that serves ``task_type``."""
    from metamed.learners import LEARNERS, ONE_TYPE_LEARNERS

    return [name for name in LEARNERS if ONE_TYPE_LEARNERS.get(name, task_type) == task_type]


@app.command("summary")
def summary_command(
    rows: Annotated[list[Path], typer.Argument(help="Row CSVs written by 'bench loto --out'.")],
    markdown: Annotated[bool, typer.Option(help="Print a markdown table (for docs).")] = False,
) -> None:
    """One table from several runs' rows, over the tasks every learner has."""
    from metamed.automl.loto import summarize

    frame = _read_rows(rows)
    if frame.duplicated(["task", "learner"]).any():
        raise MetamedError("these files hold the same learner for the same task more than once "
                           "(different runs or settings?); summarise one run per learner.")
    counts = frame.groupby("task")["learner"].nunique()
    frame = frame[frame["task"].isin(counts[counts == frame["learner"].nunique()].index)]
    _show(summarize(frame), markdown, f"leave-one-task-out, {frame['task'].nunique()} tasks")


def _show(table: pd.DataFrame, markdown: bool, title: str) -> None:
    if markdown:
        try:
            print(table.round(3).to_markdown())
        except ImportError as error:
            hint = "--markdown needs tabulate: pip install 'metamed[bench]'."
            raise MetamedError(hint) from error
    else:
        _print(table, title)


def _search_rows(metadata, names: list[str], task_ids: list[str], budget: float, jobs: int,
                 out: Path | None, search: dict) -> pd.DataFrame:
    """Run the held-out tasks ``out`` lacks for some learner, appending each as it ends."""
    import pandas as pd

    from metamed import corpus
    from metamed.automl.loto import loto_search, procedure_label
    from metamed.knowledge.units import prepared_task

    load = partial(prepared_task, corpus.load_task)  # capped as in the KB build, cached per worker

    labels = [procedure_label(name, **search) for name in names]
    done = _saved_rows(out, labels, task_ids, budget)
    finished = set(done["task"])
    todo = [t for t in task_ids if t not in finished]
    if len(todo) < len(task_ids):
        console.print(f"resuming: {len(task_ids) - len(todo)} tasks already in {out}")
    frames = [done]
    for rows in loto_search(metadata, names, load, budget, todo, jobs=jobs,
                            **search):
        frame = pd.DataFrame(rows)
        if out is not None:
            frame.to_csv(out, mode="a", header=not out.exists(), index=False)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _saved_rows(out: Path | None, names: list[str], task_ids: list[str],
                budget: float) -> pd.DataFrame:
    """Rows of ``out`` for these tasks, learners and budget, for tasks that have every learner.

    Search settings other than the budget are part of the learner label
    (:func:`metamed.automl.loto.procedure_label`); zero-shot rows have no budget.
    """
    import pandas as pd

    if out is None or not out.exists():
        return pd.DataFrame(columns=["task", "learner"])
    rows = _read_rows([out])
    if "budget" not in rows:
        return rows.iloc[:0]
    rows = rows[rows["task"].isin(task_ids) & rows["learner"].isin(names)
                & (rows["budget"] == budget)]
    complete = rows.groupby("task")["learner"].nunique() == len(names)
    return rows[rows["task"].isin(complete[complete].index)]


def _read_rows(paths: list[Path]) -> pd.DataFrame:
    """Row files joined; a task run again with the same settings keeps its last rows.

    Task and learner names stay text even when they look like numbers.
    """
    import pandas as pd

    frame = pd.concat([pd.read_csv(p, dtype={"task": str, "learner": str}) for p in paths])
    same_run = ["task", "learner", "budget"] if "budget" in frame else ["task", "learner"]
    return frame.drop_duplicates(same_run, keep="last")


def _print(summary: pd.DataFrame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in ["learner", *summary.columns]:
        table.add_column(column, justify="left" if column == "learner" else "right")
    for name, row in summary.iterrows():
        table.add_row(name, *[_cell(v) for v in row])
    console.print(table)


def _cell(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"
