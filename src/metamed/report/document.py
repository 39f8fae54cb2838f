"""The whole report: its sections in order, the headline, and writing the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from metamed import __version__
from metamed.data.task import Task
from metamed.kinds import kind_of
from metamed.report import html as h
from metamed.report.sections import (
    data_section,
    importance_section,
    model_card_section,
    pipelines_section,
    rows_section,
)


def build_report(model, task: Task | None = None, *, include_rows: bool = False) -> str:
    """The report as an HTML string.

    Parameters
    ----------
    model : MetaClassifier
        Fitted (or loaded with :func:`metamed.automl.persistence.load_model`).
    task : Task, optional
        The table to summarise and to compute feature importance on; without
        it the report says which sections need ``--data``.
    include_rows : bool
        Add a table of patient rows with their predictions (off by default:
        a report is often shared more widely than the data).
    """
    positive = model.state_.positive_index
    sections = [
        data_section(model, task),
        pipelines_section(model),
        kind_of(model.task_type).part("performance_section")(model),
        importance_section(model, task, positive),
        model_card_section(model, task, positive),
    ]
    if include_rows and task is not None:
        sections.append(rows_section(model, task))
    name = model.task_summary_.get("name", "data")
    subtitle = (f"metamed {__version__} · generated {date.today().isoformat()} · "
                f"{model.task_summary_.get('rows')} rows · fit in {model.fit_seconds_:.0f} s")
    return h.page(f"Clinical prediction model report: {name}", subtitle, _headline(model),
                  sections)


def _headline(model) -> str:
    """One sentence with the honest result, for readers who stop after the title."""
    results = model.cv_results_
    if "r2" in results:
        r2, slope = results["r2"], results["calibration_slope"]
        return (f"Honest R² {r2.estimate:.3f} (95% CI {r2.low:.3f}–{r2.high:.3f}), calibration "
                f"slope {slope.estimate:.2f} ({slope.low:.2f}–{slope.high:.2f}), from "
                f"{model.outer_splits}-fold cross-validation of the whole procedure on "
                f"{model.task_summary_.get('rows')} rows. Against ridge regression with its "
                f"penalty tuned: {model.verdict_}")
    if "harrell_c" in results:
        c = results["harrell_c"]
        return (f"Honest Harrell's C {c.estimate:.3f} (95% CI {c.low:.3f}–{c.high:.3f}), from "
                f"{model.outer_splits}-fold cross-validation of the whole procedure on "
                f"{model.task_summary_.get('rows')} rows. Against the Cox model: "
                f"{model.verdict_}")
    if "roc_auc" not in results:
        return ("No honest estimate: the model was fit without outer cross-validation "
                "(outer folds 0), so its performance on new patients is unknown.")
    auc = results["roc_auc"]
    averaged = "" if len(model.classes_) == 2 else "macro one-vs-rest "
    text = (f"Honest {averaged}ROC AUC {auc.estimate:.3f} (95% CI {auc.low:.3f}–{auc.high:.3f})")
    if "calibration_slope" in results:
        slope = results["calibration_slope"]
        text += f", calibration slope {slope.estimate:.2f} ({slope.low:.2f}–{slope.high:.2f})"
    text += (f", from {model.outer_splits}-fold cross-validation of the whole procedure "
             f"(recommendation, search and fitting) on {model.task_summary_.get('rows')} rows.")
    return f"{text} Against plain logistic regression: {model.verdict_}"


def write_report(model, path: str | Path, task: Task | None = None, *,
                 include_rows: bool = False) -> Path:
    """Write :func:`build_report` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(build_report(model, task, include_rows=include_rows), encoding="utf-8")
    return path
