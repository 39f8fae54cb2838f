"""``metamed fewshot``: meta-train a few-shot learner, and compare every method.

A thin layer over :mod:`metamed.fewshot`; torch is imported only inside the
commands, so ``metamed`` works without it and says how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from metamed.errors import MetamedError

if TYPE_CHECKING:
    from metamed.fewshot.episodes import Shift
    from metamed.fewshot.sources import FewShotData

app = typer.Typer(
    help="Few-shot learning: adapt to a new diagnosis from K examples per class (needs torch).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

Source = Annotated[str, typer.Option(help="digits, corpus:SLUG, npz:PATH or csv:PATH.")]
TaskColumn = Annotated[str | None, typer.Option(help="csv: split into tasks by this column.")]
Target = Annotated[str | None, typer.Option(help="csv: the class column.")]
Ways = Annotated[int, typer.Option(help="Classes per episode (N).")]
Shots = Annotated[int, typer.Option(help="Support examples per class (K).")]
Queries = Annotated[int, typer.Option(help="Query examples per class.")]
Iterations = Annotated[int, typer.Option(help="Meta-training steps.")]
Seed = Annotated[int, typer.Option(help="Seed of the class split, episodes and weights.")]
Rotations = Annotated[str, typer.Option(
    help="Images: also meta-train on the meta-train classes turned by these angles, as new "
         "classes (e.g. 90,270; Snell et al. 2017). Only where a turned image is another "
         "class and resembles no meta-test class.")]
ShiftPixels = Annotated[int, typer.Option(
    help="Images: shift meta-train images by up to this many pixels (augmentation; 0: none).")]
Width = Annotated[int, typer.Option(
    help="Width of the networks, for every method (held-out meta-train digits favoured 64 "
         "for ProtoNet and Reptile, 32 for MAML and the fine-tuned network: docs/benchmarks.md)."
    )]
TrainWays = Annotated[int | None, typer.Option(
    help="ProtoNet: ways of the meta-training episodes (default: --ways).")]


@app.command()
def train(
    source: Source = "digits",
    algo: Annotated[str, typer.Option(help="protonet, maml, fomaml, reptile or finetune.")] = (
        "protonet"),
    ways: Ways = 5,
    shots: Shots = 5,
    queries: Queries = 15,
    iterations: Iterations = 500,
    target: Target = None,
    task_column: TaskColumn = None,
    seed: Seed = 0,
    rotations: Rotations = "",
    shift: ShiftPixels = 0,
    width: Width = 64,
    train_ways: TrainWays = None,
    out: Annotated[Path, typer.Option(help="Where to save the meta-model.")] = Path("model.pt"),
) -> None:
    """Meta-train one algorithm on the meta-train classes (or tasks) and save it."""
    from metamed.fewshot import require_torch

    require_torch()
    import torch

    from metamed.fewshot.api import make_learner, save_learner
    from metamed.fewshot.compare import samplers
    from metamed.fewshot.sources import load_source

    spec = {"source": source, "ways": ways, "shots": shots, "queries": queries,
            "target": target, "task_column": task_column, "seed": seed, "rotations": rotations,
            "shift": shift}
    if train_ways is not None and algo != "protonet":
        raise MetamedError(f"--train-ways is ProtoNet's; {algo} meta-trains on --ways, since its "
                           "output layer has that many units.")
    data = load_source(source, ways, target=target, task_column=task_column, seed=seed,
                       rotations=_angles(rotations))
    meta_train, _ = samplers(data, ways, shots, queries, seed, _augment(shift, data))
    torch.set_num_threads(1)  # tiny networks: threads cost more than they give on a small CPU
    learner = make_learner(algo, train_ways, iterations=iterations, hidden=width,
                           seed=seed).fit(meta_train)
    save_learner(learner, out, spec)
    console.print(f"{algo} meta-trained on {data.description} ({iterations} steps, "
                  f"final loss {learner.losses_[-1]:.3f}); saved to {out}")


@app.command("eval")
def evaluate(
    model_or_source: Annotated[str, typer.Argument(help="A saved .pt model, or a source.")],
    episodes: Annotated[int, typer.Option(help="Meta-test episodes (600 or more).")] = 600,
    ways: Ways = 5,
    shots: Shots = 5,
    queries: Queries = 15,
    iterations: Iterations = 500,
    target: Target = None,
    task_column: TaskColumn = None,
    seed: Seed = 0,
    rotations: Rotations = "",
    shift: ShiftPixels = 0,
    width: Width = 64,
    train_ways: TrainWays = None,
) -> None:
    """Mean meta-test accuracy with a 95% CI for every algorithm and baseline."""
    from metamed.fewshot import require_torch

    require_torch()
    import torch

    from metamed.fewshot.api import load_learner
    from metamed.fewshot.base import score_episodes
    from metamed.fewshot.compare import BASELINES, compare, samplers
    from metamed.fewshot.sources import load_source

    methods, saved = None, None
    if model_or_source.endswith(".pt"):
        saved, spec = load_learner(Path(model_or_source))
        ways, shots, queries, target, task_column, seed = (spec[k] for k in (
            "ways", "shots", "queries", "target", "task_column", "seed"))
        rotations, shift = spec.get("rotations", ""), spec.get("shift", 0)
        model_or_source, methods = spec["source"], BASELINES
    data = load_source(model_or_source, ways, target=target, task_column=task_column, seed=seed,
                       rotations=_angles(rotations))
    torch.set_num_threads(1)
    scores = compare(data, ways, shots, queries=queries, n_episodes=episodes,
                     iterations=iterations, hidden=width, train_ways=train_ways, seed=seed,
                     augment=_augment(shift, data),
                     **({"methods": methods} if methods else {}))
    if saved is not None:
        scores.insert(0, score_episodes(saved, samplers(data, ways, shots, queries, seed)[1],
                                        episodes, "saved model"))
    table = Table(title=f"{data.description}: {ways}-way {shots}-shot, {episodes} episodes")
    for column in ("method", "accuracy % (95% CI)"):
        table.add_column(column)
    for score in scores:
        table.add_row(score.method, str(score))
    console.print(table)


def _angles(text: str) -> tuple[int, ...]:
    """``"90,270"`` -> ``(90, 270)``; empty text means no rotation."""
    try:
        return tuple(int(a) for a in text.split(",") if a.strip())
    except ValueError as error:
        raise MetamedError(f"--rotations takes angles like 90,270; got '{text}'.") from error


def _augment(shift: int, data: FewShotData) -> Shift | None:
    """``--shift``: a :class:`Shift` of that many pixels for image data, or no augmentation."""
    from metamed.fewshot.episodes import Shift

    if shift and data.kind != "image":
        raise MetamedError(f"--shift moves image pixels; {data.description} is a table.")
    return Shift(shift) if shift else None  # Shift refuses a negative number
