"""Terminal and JSON presentation of tasks and evaluations.

Kept apart from the computations so that the numbers a person reads on
screen, in JSON and (later) in the HTML report come from one place.
"""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from metamed.automl.conformal import DEFAULT_LEVEL
from metamed.data.task import Task
from metamed.evaluation import Evaluation, Interval
from metamed.evaluation.baseline import difference_rows
from metamed.evaluation.scoring import Scorer
from metamed.kinds import KINDS, Kind
from metamed.learners import Recommendation
from metamed.space import config_name


def evaluation_summary(task: Task, config: dict, result: Evaluation) -> dict:
    """Everything `metamed evaluate --json` prints."""
    return {"task": task.summary(), "pipeline": config, **result.to_dict()}


def _kinds_line(task: Task) -> str:
    """How many feature columns of each kind ("3 numeric, 2 categorical")."""
    counts = [(len(task.columns_of(kind)), kind) for kind in ("numeric", "categorical")]
    molecules = len(task.columns_of("molecule"))
    counts += [(molecules, "molecule (SMILES)")] if molecules else []
    return ", ".join(f"{n} {kind}" for n, kind in counts)


def print_task(console: Console, task: Task) -> None:
    """Sizes, class balance, notes and warnings, before any result."""
    console.print(
        f"[bold]{task.name}[/]: {task.n_rows} rows, {task.n_features} features "
        f"({_kinds_line(task)}); {_target_line(task)}",
        highlight=False,
    )
    for note in task.notes:
        console.print(f"  note: {note}", highlight=False)
    for warning in task.warnings:
        console.print(f"  [yellow]warning:[/] {warning}", highlight=False)


def _target_line(task: Task) -> str:
    """Classes with their counts, or a regression target's median and range."""
    if task.event is not None:
        summary = task.summary()
        return (f"follow-up: median {summary['target_quantiles']['median']:.4g}, "
                f"{summary['events']} events; horizons {', '.join(map(str, task.horizons))}")
    if task.is_regression:
        q = task.summary()["target_quantiles"]
        return (f"target: median {q['median']:.4g} (quartiles {q['q1']:.4g} to {q['q3']:.4g}, "
                f"range {q['min']:.4g} to {q['max']:.4g})")
    counts = ", ".join(f"{c}: {n}" for c, n in task.class_counts.items())
    positive = f"; positive class: {task.positive_class}" if task.positive_class is not None else ""
    return f"classes {counts}{positive}"


def intervals_table(title: str, metrics: dict[str, Interval], task_type: str) -> Table:
    """Metric, estimate and 95% CI, one row per metric."""
    scorer = Scorer(task_type)
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("estimate", justify="right")
    table.add_column("95% CI", justify="right")
    for name, interval in metrics.items():
        arrow = {True: " ↑", False: " ↓", None: ""}[scorer.higher_is_better(name)]
        table.add_row(
            f"{scorer.label(name)}{arrow}",
            f"{interval.estimate:.3f}",
            f"{interval.low:.3f} – {interval.high:.3f}",
        )
    return table


def print_evaluation(console: Console, task: Task, pipeline: str, result: Evaluation) -> None:
    """The metrics table with 95% intervals."""
    print_task(console, task)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)
    averaged = "" if task.is_binary or task.is_regression else " (macro-averaged over classes)"
    title = f"{pipeline}: {result.n_repeats}x repeated {result.n_splits}-fold CV{averaged}"
    console.print(intervals_table(title, result.metrics, task.task_type))
    repeats = len(result.oof_predictions)
    console.print(f"fit time: {result.fit_seconds:.1f} s over {repeats} repeats", highlight=False)


def print_baseline_verdict(console: Console, comparison: dict[str, Interval],
                           sentence: str, kind: Kind) -> None:
    """The paired difference from the task's baseline (plain LR, tuned ridge, ...), then the
    verdict."""
    baseline = kind.baseline_words
    table = Table(title=f"the whole procedure minus {baseline}, same outer folds (paired "
                  "bootstrap)", title_justify="left")
    table.add_column("metric")
    table.add_column("difference", justify="right")
    table.add_column("95% CI", justify="right")
    for row in difference_rows(comparison, kind.name):
        table.add_row(*row)
    console.print(table)
    console.print(f"[bold]verdict:[/] {sentence}", highlight=False)


def print_recommendations(console: Console, recommendations: list[Recommendation]) -> None:
    """Recommended pipelines with the reason for each (a shared reason printed once)."""
    heads = {r.rationale.split("; ")[0] for r in recommendations}
    shared = heads.pop() if len(heads) == 1 and len(recommendations) > 1 else None
    if shared and "; " in recommendations[0].rationale:
        console.print(f"[bold]{shared}[/]", highlight=False)
    table = Table(title="recommended pipelines (from the knowledge base)", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("pipeline")
    table.add_column("expected", justify="right")
    table.add_column("why")
    for i, rec in enumerate(recommendations, 1):
        why = rec.rationale
        if shared and why.startswith(shared + "; "):
            why = why[len(shared) + 2:]
        table.add_row(str(i), config_name(rec.config), f"{rec.expected_score:.3f}", why)
    console.print(table)


def print_leaderboard(console: Console, leaderboard: pd.DataFrame,
                      ensemble: list[tuple[str, float]], decision: str | None = None) -> None:
    """What the search measured on this task, the decision against the baseline, the final
    model."""
    column = score_column(leaderboard)
    label = f"CV {Scorer(_TYPE_OF_SCORE[column]).label(column[3:])}"
    table = Table(title=f"leaderboard on your data ({label}; halving stops weak pipelines "
                  "early)", title_justify="left")
    for name in ("rank", "pipeline", label, "folds"):
        table.add_column(name, justify="right" if name != "pipeline" else "left")
    for row in leaderboard.to_dict(orient="records"):
        score = ("failed" if row["error"] else "not run" if not row["folds"]
                 else f"{row[column]:.3f}")
        table.add_row(str(row["rank"]), row["pipeline"], score, str(row["folds"]))
    console.print(table)
    if decision:
        console.print(f"decision: {decision}", highlight=False)
    parts = ", ".join(f"{name} ({weight:.0%})" for name, weight in ensemble)
    console.print(f"final model: {parts}", highlight=False)


#: The leaderboard's score column of each task type.
_TYPE_OF_SCORE = {f"cv_{kind.primary}": kind.name for kind in KINDS.values()}


def score_column(leaderboard: pd.DataFrame) -> str:
    """The leaderboard's score column: ``cv_roc_auc``, or ``cv_r2`` for a regression."""
    return next((c for c in leaderboard.columns if c in _TYPE_OF_SCORE), "cv_roc_auc")


def recalibration_sentence(found: dict) -> str | None:
    """The recalibration step in words: what the final model got, what the honest CV saw."""
    parts = []
    if "slope" in found:
        parts.append(f"the final model's risks are recalibrated (logit scale: intercept "
                     f"{found['intercept']:+.2f}, slope {found['slope']:.2f}), because its "
                     "out-of-fold calibration was off")
    if found.get("outer_folds_recalibrated") == 0:
        parts.append(f"no outer fold needed recalibration (honest calibration slope "
                     f"{found['honest_slope_after']:.2f})")
    elif "honest_slope_before" in found:
        parts.append(f"honest calibration slope {found['honest_slope_before']:.2f} before "
                     f"recalibration, {found['honest_slope_after']:.2f} after (recalibrated in "
                     f"{found['outer_folds_recalibrated']} outer folds)")
    return "; ".join(parts) + "." if parts else None


def coverage_sentence(coverage: dict) -> str:
    """The prediction intervals in words: stated level, coverage reached in the outer folds."""
    if not coverage:
        return ("prediction intervals: 90% conformal (CV+); their coverage was not measured "
                "(no outer CV).")
    at = coverage[f"{DEFAULT_LEVEL:g}"]
    return (f"prediction intervals: {DEFAULT_LEVEL:.0%} conformal (CV+) intervals held "
            f"{at['coverage']:.1%} of the held-out outcomes in the outer folds (median width "
            f"{at['median_width']:.4g}).")


def privacy_sentence(training_values: list[str]) -> str:
    """Whether a saved model holds patient values, in one sentence."""
    if not training_values:
        return ("the saved model holds no training rows (only fitted summaries such as "
                "coefficients and split points).")
    return (f"the saved model holds training values ({', '.join(training_values)}): share the "
            "file only as you would share the data, or refit with --shareable.")
