"""`metamed fit | predict | recommend`: the main job, on one user table."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from metamed.commands.options import (
    KB,
    AsJson,
    Data,
    Encoding,
    Event,
    Group,
    Horizons,
    ModelFile,
    ModelOut,
    OuterFolds,
    Positive,
    PredictionsOut,
    ReportFile,
    Sheet,
    Target,
    TaskKind,
    Time,
    TimeBudget,
)
from metamed.errors import MetamedError

console = Console()

Learner = Annotated[str | None, typer.Option(
    help="Meta-learner (default: the one leave-one-task-out chose; a wrong name lists them).")]


def fit(
    data: Data, target: Target = None, kb: KB = None, learner: Learner = None,
    time_budget: TimeBudget = 60.0,
    out: ModelOut = Path("model.skops"),
    outer_folds: OuterFolds = 5,
    ensemble: Annotated[bool, typer.Option(help="Greedy ensemble of the best.")] = True,
    shareable: Annotated[bool, typer.Option(
        help="Search only pipelines whose saved model keeps no patient values (no k-NN, RBF "
             "SVM or quantile scaling).")] = False,
    positive: Positive = None, group: Group = None, encoding: Encoding = "utf-8",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0, as_json: AsJson = False,
    report: ReportFile = None, task_type: TaskKind = "auto", sheet: Sheet = None,
    time: Time = None, event: Event = None, horizons: Horizons = None,
) -> None:
    """Recommend, search, evaluate honestly (nested CV) and save a model."""
    from metamed.automl.persistence import save_model
    from metamed.clock import WorkClock
    from metamed.data.io import load_task
    from metamed.learners import DEFAULT_LEARNER
    from metamed.report.terminal import (
        coverage_sentence,
        intervals_table,
        print_baseline_verdict,
        print_leaderboard,
        print_recommendations,
        print_task,
        privacy_sentence,
        recalibration_sentence,
    )

    clock = WorkClock(time_budget)  # reading and checking the table count against the budget
    target, survival = _outcome(target, time, event, horizons)
    task = load_task(data, target, encoding=encoding, positive_class=positive, group_column=group,
                     task_type=task_type, sheet=sheet, **survival)
    settings = dict(kb=kb, learner=learner or DEFAULT_LEARNER, time_budget=time_budget,
                    outer_splits=outer_folds, ensemble=ensemble, shareable=shareable,
                    random_state=seed)
    if task.kind.has_classes:
        settings["positive_class"] = positive
    model = task.kind.part("estimator")(**settings)
    with console.status(f"meta-learning on {task.n_rows} rows...") as status:
        def show(stage: str) -> None:
            status.update(f"{stage} · {clock.used():.0f} s of work of the {time_budget:g} s "
                          "budget")

        model.fit_task(task, clock, progress=show)
    save_model(model, out)
    if report is not None:
        _write_report(model, task, report, quiet=as_json)
    if as_json:
        console.print_json(json.dumps(_fit_summary(model, out), default=str))
        return
    print_task(console, task)
    for note in model.notes_:
        console.print(f"  note: {note}", highlight=False)
    print_recommendations(console, model.recommendations_[:5])
    decision = model.decision_.sentence() if model.decision_ else None
    print_leaderboard(console, model.leaderboard_, model.ensemble_, decision)
    if model.cv_results_:
        title = (f"honest performance: the whole procedure re-run in {outer_folds}-fold outer CV "
                 "(scores never used to choose the model)")
        console.print(intervals_table(title, model.cv_results_, task.task_type))
        print_baseline_verdict(console, model.baseline_comparison_, model.verdict_,
                               task.kind)
    if task.is_regression:
        console.print(coverage_sentence(model.interval_coverage_), highlight=False)
    elif recalibrated := recalibration_sentence(model.recalibration_):
        console.print(f"calibration: {recalibrated}", highlight=False)
    console.print(f"fit in {model.fit_seconds_:.1f} s; model saved to {out}", highlight=False)
    console.print(privacy_sentence(model.state_.training_values), highlight=False)


def _write_report(model, task, path: Path, quiet: bool) -> None:
    """The HTML report of `metamed report`, with the training table at hand (issue 5)."""
    from metamed.report import write_report

    with console.status("writing the report..."):
        write_report(model, path, task)
    if not quiet:  # --json output stays one JSON document
        console.print(f"report written to {path}", highlight=False)


def _outcome(target: str | None, time: str | None, event: str | None,
             horizons: str | None) -> tuple[str, dict]:
    """The column to predict, and a survival outcome's event column and horizons."""
    if time is None and event is None:
        if target is None:
            raise MetamedError("say which column to predict: --target NAME (or, for a "
                               "survival outcome, --time NAME --event NAME).")
        if horizons is not None:
            raise MetamedError("--horizons is for a survival outcome (--time and --event).")
        return target, {}
    if time is None or event is None or target is not None:
        raise MetamedError("a survival outcome is --time NAME --event NAME, without --target.")
    try:
        chosen = None if horizons is None else tuple(float(h) for h in horizons.split(","))
    except ValueError as error:
        raise MetamedError(f"--horizons takes comma-separated numbers; got {horizons!r}.") \
            from error
    return time, {"event": event, "horizons": chosen}


def _fit_summary(model, out: Path) -> dict:
    """What `fit --json` prints: the fitted state's document, as saved in the model file."""
    return {**model.state_.document(), "model_file": str(out)}


def predict(
    model_file: ModelFile,
    data: Data,
    out: PredictionsOut = Path("preds.csv"),
    encoding: Encoding = "utf-8",
    strict: Annotated[bool, typer.Option(
        help="Refuse text in a numeric column, category values unseen in training and rows "
             "with every feature missing, instead of predicting them with a note.")] = False,
    sheet: Sheet = None,
) -> None:
    """Predict each row's class and class probabilities (a regression: its value and 90%
    prediction interval) with a saved model."""

    from metamed.automl.persistence import load_model
    from metamed.data.io import read_table_with_notes
    from metamed.data.validation import conform_features

    model = load_model(model_file)
    schema = model.feature_types_
    frame, notes = read_table_with_notes(data, encoding=encoding, sheet=sheet, columns=schema)
    summary = model.task_summary_  # older model files know neither categories nor units
    frame, checked = conform_features(frame, schema, strict=strict,
                                      categories=summary.get("categories"),
                                      units=summary.get("units"))
    notes += checked
    result = _predictions(model, frame)
    result.to_csv(out, index=False)
    for note in notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"{len(result)} predictions written to {out}", highlight=False)


def _predictions(model, frame):
    """The predictions table: class and probabilities, or value and interval bounds."""
    import pandas as pd

    from metamed.automl.conformal import DEFAULT_LEVEL

    if model.task_type == "survival":
        survival = model.predict_survival(frame)
        return pd.DataFrame({"risk": model.predict(frame),
                             **{f"survival_{t:g}": survival[:, k]
                                for k, t in enumerate(model.horizons_)}})
    if model.task_type == "regression":
        bounds = model.predict_interval(frame, DEFAULT_LEVEL)
        return pd.DataFrame({"predicted": model.predict(frame),
                             f"lower_{DEFAULT_LEVEL:g}": bounds[:, 0],
                             f"upper_{DEFAULT_LEVEL:g}": bounds[:, 1]})
    proba = model.predict_proba(frame)
    result = pd.DataFrame({"predicted": model.classes_[proba.argmax(axis=1)]})
    for i, label in enumerate(model.classes_):
        result[f"proba_{label}"] = proba[:, i]
    return result


def recommend(
    data: Data, target: Target, kb: KB = None, learner: Learner = None,
    n: Annotated[int, typer.Option(help="How many pipelines.")] = 5,
    encoding: Encoding = "utf-8", as_json: AsJson = False, task_type: TaskKind = "auto",
    sheet: Sheet = None,
) -> None:
    """Zero-shot: rank pipelines for this table from the knowledge base, without fitting."""
    from metamed.automl.procedure import fitted_learner, load_metadata
    from metamed.data.io import load_task
    from metamed.learners import DEFAULT_LEARNER
    from metamed.report.terminal import print_recommendations

    task = load_task(data, target, encoding=encoding, task_type=task_type, sheet=sheet)
    learner, notes = fitted_learner(learner or DEFAULT_LEARNER,
                                    load_metadata(kb, task.kind.meta_name), task.kind.meta_name)
    recommendations = learner.recommend(task, n)
    if not as_json:
        for note in notes:
            console.print(f"note: {note}", highlight=False)
    if as_json:
        console.print_json(json.dumps([dataclasses.asdict(r) for r in recommendations]))
    else:
        print_recommendations(console, recommendations)
