"""The report's other sections: data, why these pipelines, what drives the model, model card.

Each function returns one :class:`~metamed.report.html.Section`. Sections
that need the table (missingness, importance) say so instead of failing when
only the saved model is available: a model file carries no patient data.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd

from metamed import __version__
from metamed.data.task import Task
from metamed.data.validation import conform_features
from metamed.evaluation.scoring import Scorer
from metamed.kinds import kind_of
from metamed.report import explain
from metamed.report import figures as fig
from metamed.report import html as h
from metamed.report.terminal import recalibration_sentence, score_column
from metamed.space import config_name

#: Rows used for permutation importance and partial dependence (cost grows with rows).
MAX_IMPORTANCE_ROWS = 400
TOP_FEATURES_SHOWN = 15
PARTIAL_DEPENDENCE_FEATURES = 3
NEEDS_DATA = ("Pass the table with `metamed report MODEL --data DATA --target COL` (or use "
              "`metamed fit ... --report`) to include {what}.")


def task_codes(model, task: Task) -> np.ndarray:
    """The task's classes as indices into the model's ``classes_`` (-1 for an unknown class);
    a regression's values and a survival task's (time, event) as they are."""
    if not task.kind.has_classes:
        return task.target_values
    index = {str(c): i for i, c in enumerate(model.classes_)}
    return task.y.astype(str).map(index).fillna(-1).to_numpy(dtype=int)


def data_section(model, task: Task | None) -> h.Section:
    """Size, class balance, column types, missingness and every warning from validation."""
    summary = model.task_summary_
    facts = [["rows (patients or visits)", summary.get("rows")],
             ["features used", f"{summary.get('features')} ({summary.get('numeric_features')} "
                               f"numeric, {summary.get('categorical_features')} categorical)"],
             _outcome_fact(summary)]
    if summary.get("positive_class") is not None:
        facts.append(["positive class", summary["positive_class"]])
    if summary.get("grouped"):
        facts.append(["repeated measures", "yes: rows of one patient stay in one CV fold"])
    body = [h.table(None, facts)]
    body.append(h.boxes(summary.get("warnings", []), "warn"))
    body.append(h.boxes(summary.get("notes", []) + list(model.notes_), "note"))
    body.append("<h3>Columns</h3>" + _columns_table(model, task))
    return h.Section("data", "Data", "".join(body))


def _outcome_fact(summary: dict) -> list[str]:
    """The classes with their shares, or a number's median, quartiles and range."""
    if "target_quantiles" in summary:
        q = summary["target_quantiles"]
        return ["outcome (a number)", f"median {q['median']:.4g} (IQR {q['q1']:.4g}–"
                                      f"{q['q3']:.4g}; range {q['min']:.4g}–{q['max']:.4g})"]
    rows = summary.get("rows") or 1
    return ["classes", ", ".join(f"{c}: {n} ({n / rows:.0%})"
                                 for c, n in summary["class_counts"].items())]


def _columns_table(model, task: Task | None) -> str:
    if task is None:
        rows = [[c, kind] for c, kind in model.feature_types_.items()]
        return h.table(["feature", "type"], rows) + h.paragraph(
            NEEDS_DATA.format(what="missingness and value summaries"), "muted")
    rows = []
    for column, kind in model.feature_types_.items():
        values = task.X[column] if column in task.X else pd.Series(dtype=float)
        missing = int(values.isna().sum())
        rows.append([column, kind, f"{missing} ({missing / max(len(values), 1):.0%})",
                     _describe(values, kind)])
    return h.table(["feature", "type", "missing", "summary"], rows)


def _describe(values: pd.Series, kind: str) -> str:
    """Median (IQR) of a number, or the levels of a category: aggregates, never rows."""
    known = values.dropna()
    if known.empty:
        return "all missing"
    if kind == "numeric":
        q1, median, q3 = np.quantile(known.astype(float), [0.25, 0.5, 0.75])
        return f"median {median:.3g} (IQR {q1:.3g}–{q3:.3g})"
    counts = known.astype(str).value_counts()
    return (f"{len(counts)} levels; most common '{counts.index[0]}' "
            f"({counts.iloc[0] / len(known):.0%})")


def pipelines_section(model) -> h.Section:
    """Recommendations with their reasons, the search's leaderboard and the final ensemble."""
    shared, reasons = _split_rationales([r.rationale for r in model.recommendations_])
    names = [config_name(r.config) for r in model.recommendations_]
    recs = [[i, name, r.expected_score, reason]
            for i, (name, r, reason) in enumerate(zip(names, model.recommendations_, reasons,
                                                      strict=True), 1)]
    board = [[row["rank"], row["pipeline"],
              "failed" if row.get("error") else float(row[score_column(model.leaderboard_)]),
              row["folds"],
              f"recommended #{names.index(row['pipeline']) + 1}"
              if row["pipeline"] in names else row.get("origin", "")]
             for row in model.leaderboard_.to_dict(orient="records")]
    members = [[name, f"{weight:.0%}"] for name, weight in model.ensemble_]
    regression = model.task_type == "regression"
    score = "R²" if regression else "AUC"
    baseline = model.kind_.baseline_words
    loss, blended = (("squared error", "predictions") if regression
                     else ("log loss", "probabilities"))
    body = [
        h.paragraph("The knowledge base holds cross-validated results of many pipelines on "
                    "real medical tasks. The meta-learner described this table by its "
                    "meta-features (size, types, missingness, class balance, simple models' "
                    "scores), found the most similar known tasks, and proposed the pipelines "
                    f"that did well there. 'Expected {score}' is its guess before seeing any "
                    "result on this table."),
        "<h3>Recommended pipelines</h3>",
        h.paragraph(_capitalised(shared) + ".", "note") if shared else "",
        h.table(["#", "pipeline", f"expected {score}", "why"], recs, numeric={0, 2}),
        "<h3>Leaderboard on this table</h3>",
        h.paragraph(f"Inner cross-validated {score} of each candidate on all rows. Successive "
                    "halving stops weak candidates early (fewer folds); these scores chose the "
                    "model, so they are optimistic: the honest estimate is in the next "
                    "section.", "muted"),
        h.table(["rank", "pipeline", f"CV {score}", "folds", "origin"], board,
                numeric={0, 2, 3}),
        "<h3>Final model</h3>",
        h.paragraph(f"The search's proposal (a greedy ensemble on out-of-fold {loss}, or its "
                    f"best pipeline) replaces {baseline} only as far as the "
                    "fold-by-fold evidence on this table makes a real gain probable. "
                    + (_capitalised(model.decision_.sentence()) if model.decision_ else "")),
        h.paragraph(f"A weighted average of these pipelines' {blended}, refit on all rows. "
                    + _capitalised(recalibration_sentence(model.recalibration_) or "")),
        h.table(["pipeline", "weight"], members, numeric={1}),
    ]
    return h.Section("pipelines", "Why these pipelines", "".join(body))


def _split_rationales(rationales: list[str]) -> tuple[str, list[str]]:
    """The part every rationale shares (the similar tasks, said once) and what is left.

    Nearest-task rationales read "<similar tasks>; <how this config ranked there>";
    repeating the same tasks on every row buries the part that differs.
    """
    heads = {r.split("; ", 1)[0] for r in rationales}
    if len(rationales) < 2 or len(heads) != 1 or not all("; " in r for r in rationales):
        return "", rationales
    return heads.pop(), [r.split("; ", 1)[1] for r in rationales]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def importance_section(model, task: Task | None, positive: int | None) -> h.Section:
    """Permutation importance of every feature and partial dependence of the top ones."""
    title = "What drives the model"
    if task is None:
        return h.Section("importance", title,
                         h.paragraph(NEEDS_DATA.format(what="feature importance"), "muted"))
    codes = task_codes(model, task)
    known = codes >= 0 if task.kind.has_classes else np.ones(len(codes), bool)
    X = conform_features(task.X, model.feature_types_)[0].loc[known].reset_index(drop=True)
    codes = codes[known]
    if len(X) > MAX_IMPORTANCE_ROWS:
        keep = np.random.default_rng(0).choice(len(X), MAX_IMPORTANCE_ROWS, replace=False)
        X, codes = X.iloc[np.sort(keep)].reset_index(drop=True), codes[np.sort(keep)]
    repeats = 5 if X.shape[1] <= 30 else 2
    table = explain.permutation_importance(model, X, codes, positive, n_repeats=repeats)
    top = table.head(TOP_FEATURES_SHOWN)
    score = task.kind.score_label
    figures = [h.Figure("importance", fig.importance_figure(
        top["feature"].tolist(), top["importance"].to_numpy(), top["sd"].to_numpy()),
        f"Drop in {score} when each feature's values are shuffled ({repeats} shuffles, "
        f"{len(X)} rows); bars show the mean, whiskers the SD.",
        {"features": float(len(top))})]
    figures += _dependence_figures(model, X, top["feature"].tolist(), positive)
    shap = ("SHAP values are not computed: the shap package is not installed."
            if importlib.util.find_spec("shap") is None else
            "SHAP values are not computed: the model is an ensemble of pipelines, for which "
            "exact SHAP is not cheap; permutation importance is model-agnostic.")
    body = [h.paragraph(
        "Permutation importance is computed with the final model on the rows of the table "
        "given (the training rows when run at fit time): it shows what the model relies on, "
        "not causal effects, and correlated features share (and may hide) each other's "
        "importance. Per-patient explanations: `metamed explain MODEL DATA --row i`."),
        h.figures(figures), h.paragraph(shap, "muted"),
        h.table(["feature", f"{score} drop", "SD"],
                [[r.feature, r.importance, r.sd] for r in table.itertuples()], numeric={1, 2})]
    return h.Section("importance", title, "".join(body))


def _dependence_figures(model, X: pd.DataFrame, ranked: list[str],
                        positive: int | None) -> list[h.Figure]:
    regression = not kind_of(model.task_type).has_classes  # one column: a value or a risk
    value = "risk score" if model.task_type == "survival" else "prediction"
    labels = [value] if regression else [str(c) for c in model.classes_]
    indices = [positive] if positive is not None else list(range(min(len(labels), 8)))
    what = "prediction" if regression else "probability"
    items = []
    for feature in ranked[:PARTIAL_DEPENDENCE_FEATURES]:
        kind = model.feature_types_[feature]
        result = explain.partial_dependence(model, X, feature, kind)
        png = fig.dependence_figure(result, [labels[k] for k in indices], indices,
                                    f"mean predicted {'value' if regression else what}")
        items.append(h.Figure("dependence", png,
                              f"Partial dependence on {feature}: the average predicted "
                              f"{what} when every patient is given this value.",
                              {"points": float(len(result.grid))}))
    return items


def model_card_section(model, task: Task | None, positive: int | None) -> h.Section:
    """The TRIPOD+AI items that a single-table development study can answer."""
    s, params = model.task_summary_, model.get_params()
    regression = model.task_type == "regression"
    counts = s.get("class_counts", {})
    survival = "events" in s
    events = (s["events"] if survival else s.get("rows") if regression
              else min(counts.values()))
    outcome = (f"'{task.y.name}'" if task is not None and task.y.name is not None else
               "the target column (name not stored in the model file)")
    results, scorer = model.cv_results_, Scorer(model.task_type)
    perf = "; ".join(f"{scorer.label(k)} {v.estimate:.3f} (95% CI {v.low:.3f} to {v.high:.3f})"
                     for k, v in results.items()
                     if k in ("roc_auc", "pr_auc", "brier", "r2", "rmse", "mae", "harrell_c",
                              "uno_c", "integrated_brier", "calibration_slope",
                              "calibration_intercept")
                     ) or "not estimated (no outer CV)"
    imputation = model.best_config_.get("impute", {})
    items = [
        ("Data source", f"{s.get('source', 'not recorded')}; {s.get('rows')} rows."),
        ("Outcome", f"{outcome}" + (
            f", time to an event ({s.get('events')} events; survival at t = "
            f"{', '.join(map(str, s.get('horizons', [])))})" if survival
            else f", a number ({_outcome_fact(s)[1]})" if regression
            else f" with classes {', '.join(map(str, counts))}")
                    + (f"; positive class '{s['positive_class']}'" if positive is not None
                       else "") + "."),
        ("Predictors", f"{s.get('features')} candidate predictors "
                       f"({', '.join(list(model.feature_types_)[:30])}"
                       f"{', …' if len(model.feature_types_) > 30 else ''})."),
        ("Sample size", f"{s.get('rows')} rows; "
                        + (f"{events} events, " if survival else "" if regression
                           else f"smallest class {events} rows, ")
                        + f"{events / max(s.get('features') or 1, 1):.1f} per candidate "
                        "predictor (below about 10, expect optimism and wide intervals)."),
        ("Missing data", f"Imputed inside each pipeline, fit on training folds only (best "
                         f"single pipeline: numeric {imputation.get('numeric', '?')}, "
                         f"categorical {imputation.get('categorical', '?')}, missingness "
                         f"indicators {'on' if imputation.get('indicators') else 'off'})."),
        ("Model", "Weighted ensemble: " + ", ".join(f"{n} ({w:.0%})" for n, w in model.ensemble_)
         + f"; chosen by the '{params['learner']}' meta-learner and a {params['time_budget']:g} s "
           "budgeted search."),
        ("Validation", f"Internal: {params['outer_splits']}-fold outer cross-validation of the "
                       f"whole procedure; {params['n_splits']}-fold inner CV for selection; "
                       "95% bootstrap intervals over patients. No external validation."),
        ("Performance", perf + "."),
        ("Limitations", "Internal validation only: performance in another hospital, period or "
                        "population may be lower and calibration may drift. Small samples "
                        "give wide intervals. Importance is associational. Not a medical "
                        "device; do not use for care without external validation."),
        ("Software", f"metamed {getattr(model, 'metamed_version_', None) or __version__}; "
                     f"random seed {params['random_state']}."),
    ]
    intro = h.paragraph("Items of the TRIPOD+AI statement (Collins et al., BMJ 2024) that this "
                        "development study can answer; complete the rest (setting, dates, "
                        "ethics, funding) by hand.", "muted")
    return h.Section("card", "Model card (TRIPOD+AI)", intro + h.definition_list(items))


def rows_section(model, task: Task) -> h.Section:
    """Patient rows with the final model's probabilities; only when asked for."""
    X = conform_features(task.X, model.feature_types_)[0].head(500)
    frame = X.copy()
    if model.task_type == "regression":
        frame.insert(0, "observed", task.target_values[:500])
        frame["predicted"] = model.predict(X)
        frame[["lower 90%", "upper 90%"]] = model.predict_interval(X)
    else:
        proba = model.predict_proba(X)
        frame.insert(0, "true class", task.y.head(500).astype(str).to_numpy())
        for i, label in enumerate(model.classes_):
            frame[f"P({label})"] = proba[:, i]
    body = (h.paragraph("Included on request (--include-rows). Probabilities are from the "
                        "final model, fit on these rows, so they are optimistic; the honest "
                        "ones are behind the performance section. First 500 rows.", "warn")
            + h.table(list(frame.columns), frame.to_numpy().tolist()))
    return h.Section("rows", "Patient rows", body)
