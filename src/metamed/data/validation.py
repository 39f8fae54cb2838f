"""Turn a raw table and a target name into a validated :class:`Task`.

This is metamed's one input-checking layer (as ``sklearn.utils.validation``
is scikit-learn's): the command line, the Python API and the corpus loaders
all pass through :func:`make_task`, so error messages are uniform and speak
in the user's words.
"""

from __future__ import annotations

import dataclasses
import difflib

import numpy as np
import pandas as pd

from metamed.data import survival
from metamed.data.columns import (
    coerce_numeric_strings,
    infer_kind,
    numbers_with_units,
    strip_unit,
)
from metamed.data.feature_kinds import FEATURE_KINDS
from metamed.data.target import regression_target, resolve_task_type
from metamed.data.task import Provenance, Task, joined_groups
from metamed.errors import MetamedError

SMALL_CLASS_WARNING = 20
#: Models compute in float32 (trees, boosting): a larger magnitude cannot be
#: represented, and in a medical table it is a sentinel or a unit error.
FLOAT32_MAX = float(np.finfo(np.float32).max)
LEAK_SCORE = 0.98
MAX_LEAK_CHECKS = 200
#: Rows the leak check scores at most: a random sample shows a near-perfect predictor too.
LEAK_CHECK_ROWS = 20_000
#: A feature missing in at least this share of rows gets a note (it is kept and imputed).
MOSTLY_MISSING = 0.8


def make_task(
    frame: pd.DataFrame,
    target: str,
    *,
    name: str = "task",
    provenance: Provenance | None = None,
    positive_class: object | None = None,
    group_column: str | None = None,
    drop_columns: list[str] | tuple[str, ...] = (),
    task_type: str = "auto",
    group_duplicates: bool = False,
    event: str | None = None,
    horizons: tuple[float, ...] | None = None,
) -> Task:
    """Validate ``frame`` and split it into features, target and groups.

    Parameters
    ----------
    frame : DataFrame
        The raw table, one row per patient (or per visit, with groups).
    target : str
        Name of the column to predict.
    name : str
        Short name of the task.
    provenance : Provenance, optional
        Where the data came from; defaults to "DataFrame".
    positive_class : optional
        The class that counts as positive; defaults to the minority class.
    group_column : str, optional
        Column identifying patients with several rows; kept out of features.
    drop_columns : sequence of str
        Columns to remove before anything else (leaks, follow-up time).
    task_type : {"auto", "classification", "regression"}
        ``"auto"`` decides from the target (see
        :func:`metamed.data.target.resolve_task_type`); the choice and its
        reason are the task's first note.
    event : str, optional
        A survival task's event column (0 censored, 1 event); ``target`` is
        then the follow-up time. Survival is never inferred: without
        ``event`` the task is a classification or a regression.
    horizons : tuple of float, optional
        A survival task's horizons (default: the quartiles of follow-up).
    group_duplicates : bool
        Count rows identical in every feature and the target, warn, and keep
        each set in one CV fold (:attr:`Task.duplicates`): a copy on both
        sides of a split is scored on itself, which narrows the intervals
        and flatters flexible models. Off for the corpus loaders, whose
        folds must stay those the knowledge base was built with.

    Notes
    -----
    Text target labels lose surrounding spaces (with a note): ``"yes "``
    is a typing accident, never a class of its own. Labels that differ only
    by case (``"Yes"``, ``"yes"``) stop with an error instead: they are
    usually one class too, but merging them silently could join codes that
    differ on purpose, so the user decides. A numeric target with fractions
    or more than :data:`MAX_NUMERIC_CLASSES` distinct values is refused as
    continuous. Infinite values and numbers beyond float32's range in
    features become missing (with a note), as no model can use them. A
    text column of numbers sharing one unit ("12", "12 mg") becomes numbers
    (with a note); one with several units stays categories (with a
    warning). A feature missing in most rows is kept, with a note.

    Raises
    ------
    MetamedError
        With one sentence saying what is wrong and how to fix it.
    """
    frame = _string_names(frame)
    _check_has_column(frame, target, "target")
    if len(frame) == 0:
        raise MetamedError("the table has column names but no data rows.")
    notes: list[str] = []
    frame = frame.drop(columns=[c for c in drop_columns if c in frame.columns])
    if event is not None or task_type == "survival":
        return _survival_task(frame, target, event, horizons, notes, name=name,
                              provenance=provenance, group_column=group_column,
                              group_duplicates=group_duplicates)
    frame = _drop_missing_target(frame, target, notes)
    y = _target_labels(frame[target], target, notes)
    kind, reason = resolve_task_type(y, task_type, target)
    notes.insert(0, reason + ".")
    if kind == "regression":
        y = regression_target(y, target)
    else:
        _check_classes(y, target)
    groups = None
    if group_column is not None:
        _check_has_column(frame, group_column, "group")
        groups = frame[group_column].reset_index(drop=True)
        frame = frame.drop(columns=[group_column])
    warnings: list[str] = []
    features, units = _strip_units(coerce_numeric_strings(frame.drop(columns=[target])), notes,
                                   warnings)
    features, types = _select_features(_unusable_numbers_to_missing(features, notes), notes)
    readable = _readable_molecules(features, types, notes)
    features, y = features[readable], y[readable]
    groups = None if groups is None else groups[readable].reset_index(drop=True)
    if kind == "classification" and not readable.all():
        _check_classes(y, target)  # the dropped rows may have left a class a single row
    notes += _mostly_missing(features, "kept, and each pipeline imputes the missing values")
    duplicates = None
    if group_duplicates:
        duplicates = _duplicates(features, y, groups, group_column, warnings)
    if duplicates is not None and kind == "classification":
        _check_distinct_classes(y, duplicates, target)
    positive = None if kind == "regression" else _choose_positive(y, positive_class, target)
    task = Task(
        name=name,
        X=features.reset_index(drop=True),
        y=y.reset_index(drop=True),
        feature_types=types,
        positive_class=positive,
        provenance=provenance or Provenance(source="DataFrame"),
        groups=groups,
        notes=notes,
        task_type=kind,
        duplicates=duplicates,
        units={c: u for c, u in units.items() if c in types},
    )
    task.warnings.extend(warnings + _small_class_warnings(task) + _leak_warnings(task))
    return task


def _survival_task(frame: pd.DataFrame, time: str, event: str | None,
                   horizons: tuple[float, ...] | None, notes: list[str], *, name: str,
                   provenance: Provenance | None, group_column: str | None,
                   group_duplicates: bool) -> Task:
    """A time-to-event task: follow-up time ``time``, event indicator ``event``."""
    if event is None:
        raise MetamedError("a survival task needs its event column too (--event): which "
                           "patients had the event (1) and which were censored (0).")
    _check_has_column(frame, event, "event")
    survival.refuse_intervals(frame, group_column)
    kept = frame[time].notna() & frame[event].notna()
    if not kept.all():
        notes.append(f"dropped {int((~kept).sum())} row(s) without a follow-up time or event.")
    # Rows are dropped before the features are chosen, so that times and events drop with them.
    kinds = {c: _kind_of(frame[c]) for c in frame.columns if c not in (time, event, group_column)}
    kept &= _readable_molecules(frame, kinds, notes)
    frame = frame[kept].reset_index(drop=True)
    follow_up = survival.check_follow_up(frame[time], time)
    indicator, recoded = survival.event_indicator(frame[event], event)
    survival.check_events(indicator)
    chosen = (survival.horizons(follow_up.to_numpy(), indicator.to_numpy()) if horizons is None
              else tuple(horizons))
    if not chosen or max(chosen) >= follow_up.max() or min(chosen) <= 0:
        raise MetamedError(f"horizons must lie inside the follow-up (0 to {follow_up.max():g});"
                           f" got {', '.join(f'{h:g}' for h in chosen)}.")
    notes.insert(0, f"survival: time {time!r}, event {event!r} ({int(indicator.sum())} events, "
                    f"{int((indicator == 0).sum())} censored); survival predicted at "
                    f"{', '.join(f'{h:g}' for h in chosen)}.")
    notes.extend(recoded)
    body = frame.drop(columns=[event]).rename(columns={time: "__time__"})
    body["__time__"] = follow_up.to_numpy()
    task = make_task(body, "__time__", name=name, provenance=provenance,
                     group_column=group_column, task_type="regression",
                     group_duplicates=group_duplicates)
    return dataclasses.replace(
        task, y=follow_up.rename(time).reset_index(drop=True), task_type="survival",
        event=indicator.reset_index(drop=True), horizons=chosen,
        notes=notes + task.notes[1:])


def _string_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Unique column names as strings (a frame made from an array has 0, 1, 2 ...)."""
    _check_unique_columns(frame)
    if all(isinstance(c, str) for c in frame.columns):
        return frame
    renamed = frame.set_axis([str(c) for c in frame.columns], axis=1)
    _check_unique_columns(renamed)
    return renamed


def _check_unique_columns(frame: pd.DataFrame) -> None:
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        names = ", ".join(repr(str(c)) for c in duplicated)
        raise MetamedError(
            f"the table has duplicate column names ({names}); rename them so each is unique."
        )


def _check_has_column(frame: pd.DataFrame, column: str, role: str) -> None:
    if column in frame.columns:
        return
    names = [str(c) for c in frame.columns]
    close = difflib.get_close_matches(str(column), names, n=3, cutoff=0.5)
    lowered = [n for n in names if n.lower() == str(column).lower()]
    hint = lowered or close
    suggestion = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    raise MetamedError(
        f"{role} column {column!r} is not in the table (it has {len(names)} columns).{suggestion}"
    )


def _drop_missing_target(frame: pd.DataFrame, target: str, notes: list[str]) -> pd.DataFrame:
    """Rows without a label cannot be learned from; an infinite label is no label either."""
    label = frame[target]
    infinite = label.isin([np.inf, -np.inf])
    missing = label.isna() | infinite | label.astype(str).str.strip().isin(["", "NA", "NaN", "nan"])
    if missing.all():
        raise MetamedError(f"target column {target!r} has no values; every row is missing.")
    if missing.any():
        what = "missing or infinite" if infinite.any() else "missing"
        notes.append(f"{int(missing.sum())} rows with a {what} target were dropped.")
    return frame.loc[~missing]


def _target_labels(label: pd.Series, target: str, notes: list[str]) -> pd.Series:
    """Numbers as they are; text without surrounding spaces, and one spelling per class."""
    if pd.api.types.is_numeric_dtype(label):
        return label
    text = label.astype(str)
    stripped = text.str.strip()
    changed = int((stripped != text).sum())
    if changed:
        notes.append(f"surrounding spaces were removed from {changed} target label(s).")
    _check_case_variants(stripped, target)
    return stripped


def _check_case_variants(labels: pd.Series, target: str) -> None:
    """'Yes' and 'yes' are probably one class, but only the user can say so."""
    distinct = pd.Series(labels.unique())
    folded = distinct.str.casefold()
    clashing = distinct[folded.duplicated(keep=False)].tolist()
    if clashing:
        listed = ", ".join(repr(c) for c in sorted(clashing, key=lambda c: (c.casefold(), c))[:6])
        raise MetamedError(
            f"target {target!r} has labels that differ only by case ({listed}); "
            "make them consistent."
        )


def _check_classes(y: pd.Series, target: str) -> None:
    _refuse_lonely(y.value_counts(), f"of {target!r} has only 1 row; every class needs at "
                   "least 2 (remove or merge it).")


def _check_distinct_classes(y: pd.Series, duplicates: np.ndarray, target: str) -> None:
    """A class whose rows are all copies of one row cannot be tested on a row it was not
    trained on: with copies kept in one fold, it is absent from the other folds' training."""
    _refuse_lonely(pd.Series(duplicates).groupby(y.to_numpy()).nunique(),
                   f"of {target!r} has only copies of 1 row; every class needs at least 2 "
                   "different rows (remove the copies, or merge or remove the class).")


def _refuse_lonely(counts: pd.Series, why: str) -> None:
    """Refuse the classes (the index of ``counts``) counted fewer than 2 times, in one sentence."""
    lonely = counts[counts < 2]
    if len(lonely):
        raise MetamedError(f"class {_first([repr(c) for c in lonely.index])} {why}")


def _unusable_numbers_to_missing(features: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Infinite values (a division by zero upstream) and numbers beyond float32 become missing.

    Each kind gets a note; no model can use either, and a crash in the leak
    check or in fitting would tell the user less than the note does.
    """
    numeric = features.select_dtypes("number")
    values = numeric.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    too_large = (np.abs(values) > FLOAT32_MAX) & ~infinite
    for mask, what in [
        (infinite, "infinite values"),
        (too_large, "values too large to compute with (beyond ±3.4e38)"),
    ]:
        if mask.any():
            columns = ", ".join(map(str, numeric.columns[mask.any(axis=0)][:5]))
            notes.append(f"{int(mask.sum())} {what} were treated as missing (in {columns}).")
    if (infinite | too_large).any():
        features = features.copy()
        features[numeric.columns] = numeric.where(~(infinite | too_large))
    return features


def _strip_units(features: pd.DataFrame, notes: list[str], warnings: list[str]
                 ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Text columns of numbers with one unit ("12", "12 mg") as numbers, and those units.

    Numbers without the unit are taken to be in it. Several units ("mg"
    and "g") cannot be put on one scale without knowing them, so such a
    column stays categories and the user is warned.
    """
    units: dict[str, str] = {}
    converted = {}
    for name in features.columns:
        if not _is_text(features[name]):
            continue
        found = numbers_with_units(features[name])
        if found is None:
            continue
        numbers, seen = found
        if len(seen) > 1:
            listed = _first([repr(u) for u in seen], 5)
            warnings.append(f"column {name!r} holds numbers with different units ({listed}); it "
                            "is used as categories: put it in one unit to use it as a number.")
            continue
        converted[name], units[str(name)] = numbers, seen[0]
        with_unit = int(features[name].astype("string").str.contains(seen[0], regex=False).sum())
        notes.append(f"column {name!r} was read as numbers in {seen[0]!r}, the unit written "
                     f"after {with_unit} of its {int(numbers.notna().sum())} values.")
    return (features.assign(**converted) if converted else features), units


def _is_text(column: pd.Series) -> bool:
    """Text or mixed cells (not numbers, booleans, dates or pandas categories)."""
    return column.dtype == object or pd.api.types.is_string_dtype(column)


def _mostly_missing(features: pd.DataFrame, handling: str) -> list[str]:
    """One note naming the features missing in most rows, and how they were handled
    (``handling`` reads after "it is" or "they are")."""
    share = features.isna().mean()
    mostly = share[share >= MOSTLY_MISSING].sort_values(ascending=False, kind="stable")
    if mostly.empty:
        return []
    listed = _first([f"{c!r} ({int(s * 100)}%)" for c, s in mostly.items()], 5)
    subject = "it is" if len(mostly) == 1 else "they are"
    return [f"mostly missing (in at least {MOSTLY_MISSING:.0%} of rows): {listed}; {subject} "
            f"{handling}."]


def _duplicates(features: pd.DataFrame, y: pd.Series, groups: pd.Series | None,
                group_column: str | None, warnings: list[str]) -> np.ndarray | None:
    """A code per row, shared by rows identical in every feature and the target; with a warning.

    Rows are compared by a 64-bit hash of their values (a collision is
    astronomically unlikely at these sizes, and would only join two rows'
    folds). None when no row repeats another.
    """
    rows = features.reset_index(drop=True).assign(**{"\0target": y.reset_index(drop=True)})
    codes = pd.factorize(pd.util.hash_pandas_object(rows, index=False))[0]
    copies = len(codes) - int(codes.max()) - 1
    if not copies:
        return None
    found = f"{copies} row(s) are exact copies of another row (every feature and the target)"
    if groups is None:
        warnings.append(f"{found}; each set of copies is kept in one CV fold, so that no row is "
                        "tested on its own copy.")
        return codes
    labels = groups.astype(str).to_numpy()
    before, after = len(np.unique(labels)), len(np.unique(joined_groups(labels, codes)))
    if after == before:
        warnings.append(f"{found}; each set lies within one {group_column!r} group, which "
                        "keeps it in one CV fold.")
    else:
        warnings.append(f"{found}; {group_column!r} groups that share copies were joined "
                        f"({before} groups became {after}), so that no row is tested on its own "
                        "copy.")
    return codes


def _select_features(
    features: pd.DataFrame, notes: list[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    kinds = {c: _kind_of(features[c]) for c in features.columns}
    for kind, why in [
        ("id", "ID-like (a distinct value per row)"),
        ("empty", "empty (all values missing)"),
        ("constant", "constant (one value)"),
        ("date", "dates (not used as features)"),
    ]:
        dropped = [str(c) for c, k in kinds.items() if k == kind]
        if dropped:
            notes.append(f"dropped {len(dropped)} {why} column(s): {', '.join(dropped[:10])}.")
    molecules = [str(c) for c, k in kinds.items() if k == "molecule"]
    if molecules:
        notes.append(f"read {len(molecules)} column(s) as molecules (SMILES, parsed with RDKit) "
                     f"and turned each into a fingerprint: {', '.join(molecules[:10])}.")
    usable = [c for c, k in kinds.items() if k in FEATURE_KINDS]
    if not usable:
        raise MetamedError(
            "no usable feature column is left after removing ID-like, empty, constant and date "
            "columns; the table needs at least one informative column besides the target."
        )
    types = {str(c): kinds[c] for c in usable}
    return _as_feature_types(features[usable], types), types


def _readable_molecules(features: pd.DataFrame, types: dict[str, str],
                        notes: list[str]) -> np.ndarray:
    """Rows whose every SMILES RDKit can read; the others are dropped, named in a note.

    A fingerprint cannot be imputed from other molecules, and a row whose
    molecule is unknown says nothing about what it was measured on.
    """
    keep = np.ones(len(features), dtype=bool)
    for column in _molecule_columns(types):
        bad, missing = _unreadable(features[column])
        keep &= ~features.index.isin(bad.index) & ~missing
        if len(bad):
            notes.append(f"dropped {len(bad)} row(s) whose {column!r} RDKit cannot read as a "
                         f"molecule: {_first([repr(v) for v in bad], limit=5)}.")
        if missing.any():
            notes.append(f"dropped {missing.sum()} row(s) without a {column!r} molecule.")
    return keep


def _molecule_columns(types: dict[str, str]) -> list[str]:
    return [c for c, kind in types.items() if kind == "molecule"]


def _unreadable(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The SMILES RDKit cannot read (by row), and where the molecule is missing."""
    from metamed.molecules.detect import invalid_rows

    return invalid_rows(values), values.isna().to_numpy()


def _kind_of(column: pd.Series) -> str:
    """The column's kind; a cell holding a list or a dict (a frame built by hand) is refused."""
    try:
        return infer_kind(column)
    except TypeError as error:
        raise MetamedError(
            f"column {column.name!r} has cells that hold several values (such as a list); "
            "each cell must hold one number or one piece of text."
        ) from error


def _as_feature_types(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """Numbers as floats; categories as Python strings with NaN for missing.

    Built as one new frame: assigning column by column is quadratic-ish in
    pandas and took seconds on 10,000 columns.
    """
    return pd.DataFrame({column: _as_type(frame[column], kind) for column, kind in types.items()},
                        index=frame.index)


def _as_type(values: pd.Series, kind: str) -> pd.Series:
    if FEATURE_KINDS[kind].text:
        return values.astype("string").astype(object).where(values.notna(), np.nan)
    if values.dtype == float:
        return values  # already what a numeric feature is (10,000 columns: 2 s saved)
    return pd.to_numeric(values, errors="coerce").astype(float)


def conform_features(
    frame: pd.DataFrame, types: dict[str, str], *, strict: bool = False,
    categories: dict[str, list[str]] | None = None, units: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """New rows in the training schema, for prediction.

    A training column that is absent is an error; extra columns are ignored
    (and said so); values are converted to the training types, a numeric
    column's training unit (``units``, e.g. "12 mg") removed as in training.
    Category values never seen in training (``categories``: each column's
    training values) are left to the pipeline's encoder, which treats them
    as unknown rather than failing.

    Conversion can lose information the user should hear about, counted in
    the notes: text in a numeric column becomes missing, a category value
    unseen in training (``sex`` coded 1/0 where training had M/F) is
    unknown to the model, a column missing in most rows is imputed, and a
    row with every feature missing is predicted from imputed values alone.
    With ``strict`` the first, second and last are errors instead, for
    users who would rather fix the data than predict from guesses.
    """
    frame = _string_names(frame)
    missing = [c for c in types if c not in frame.columns]
    if missing:
        raise MetamedError(
            f"the data lacks {len(missing)} column(s) the model was trained on: "
            f"{', '.join(repr(c) for c in missing[:10])}."
        )
    extra = [str(c) for c in frame.columns if c not in types]
    notes = [f"ignored {len(extra)} column(s) not used by the model: {', '.join(extra[:10])}."]
    notes = notes if extra else []
    raw = _strip_training_units(frame[list(types)], units or {}, notes)
    conformed = _as_feature_types(raw, types)
    notes += _text_read_as_missing(raw, conformed, types, strict)
    notes += _unseen_categories(conformed, categories or {}, strict)
    notes += _unreadable_molecules(conformed, types, strict)
    conformed = _unusable_numbers_to_missing(conformed, notes)
    notes += _mostly_missing(conformed, "imputed by the model, as in training")
    return conformed, notes + _rows_without_features(conformed, strict)


def _strip_training_units(frame: pd.DataFrame, units: dict[str, str],
                          notes: list[str]) -> pd.DataFrame:
    """The training unit removed from numbers written with it; any other unit is left, so
    that its values are read as missing (and counted) rather than on the wrong scale."""
    stripped = {}
    for column, unit in units.items():
        values, count = strip_unit(frame[column], unit)
        if count:
            stripped[column] = values
            notes.append(f"column {column!r}: the unit {unit!r} was removed from {count} "
                         "value(s), as in training.")
    return frame.assign(**stripped) if stripped else frame


def _unseen_categories(conformed: pd.DataFrame, categories: dict[str, list[str]],
                       strict: bool) -> list[str]:
    """One note per categorical column holding values that training never saw."""
    notes = []
    for column, known in categories.items():
        values = conformed[column]
        unseen = values[values.notna() & ~values.isin(known)]
        if unseen.empty:
            continue
        found = _first([repr(v) for v in unseen.unique()], 5)
        trained = _first([repr(v) for v in known], 5)
        if strict:
            raise MetamedError(
                f"column {column!r} has {len(unseen)} value(s) never seen in training ({found}; "
                f"training had {trained}); recode them, or turn strict mode off to treat them as "
                "an unknown category."
            )
        notes.append(f"column {column!r}: {len(unseen)} value(s) never seen in training ({found};"
                     f" training had {trained}), treated as an unknown category.")
    return notes


def _text_read_as_missing(
    raw: pd.DataFrame, conformed: pd.DataFrame, types: dict[str, str], strict: bool
) -> list[str]:
    """One note per numeric column whose text values (e.g. 'high') became missing."""
    notes = []
    for column in [c for c, kind in types.items() if kind == "numeric"]:
        values = raw[column]
        text = values[values.notna() & conformed[column].isna()]
        text = text[text.astype(str).str.strip() != ""]
        if text.empty:
            continue
        if strict:
            raise MetamedError(
                f"column {column!r} has {len(text)} text value(s) where the model expects "
                f"numbers (e.g. {text.iloc[0]!r}); correct them, or turn strict mode off to "
                "read them as missing."
            )
        notes.append(
            f"column {column!r}: {len(text)} text value(s) read as missing "
            f"(e.g. {text.iloc[0]!r})."
        )
    return notes


def _unreadable_molecules(conformed: pd.DataFrame, types: dict[str, str],
                          strict: bool) -> list[str]:
    """A note (or, when strict, an error) for rows whose molecule RDKit cannot read.

    Training dropped such rows; a prediction cannot drop a row, so its
    fingerprint is empty (no substructure known) and the note says so.
    """
    notes = []
    for column in _molecule_columns(types):
        bad, missing = _unreadable(conformed[column])
        rows = np.flatnonzero(conformed.index.isin(bad.index) | missing)
        if not rows.size:
            continue
        where = f"{len(rows)} data row(s) ({_first([str(i + 1) for i in rows], limit=5)})"
        if strict:
            raise MetamedError(f"{where} have no {column!r} molecule RDKit can read; fix or "
                               "remove them, or turn strict mode off.")
        notes.append(f"{where} have no {column!r} molecule RDKit can read; their fingerprint is "
                     "empty, so their prediction is that of a molecule with no known "
                     "substructure.")
    return notes


def _rows_without_features(conformed: pd.DataFrame, strict: bool) -> list[str]:
    """A note (or, when strict, an error) for rows whose every feature is missing."""
    empty = np.flatnonzero(conformed.isna().all(axis=1).to_numpy())
    if not empty.size:
        return []
    numbers = _first([str(i + 1) for i in empty], limit=5)
    where = f"data row {numbers}" if len(empty) == 1 else f"{len(empty)} data rows ({numbers})"
    if strict:
        raise MetamedError(
            f"every feature is missing in {where}; fill in or remove such rows, or turn strict "
            "mode off to predict them from imputed values."
        )
    return [
        f"every feature is missing in {where}; the prediction there is that of a typical "
        "training patient, as every value is imputed."
    ]


def _choose_positive(y: pd.Series, positive: object | None, target: str) -> object | None:
    classes = sorted(y.unique().tolist(), key=str)
    if positive is not None:
        matches = [c for c in classes if str(c) == str(positive)]
        if not matches:
            raise MetamedError(
                f"positive class {positive!r} is not a value of {target!r} "
                f"(its values are {', '.join(repr(c) for c in classes)})."
            )
        return matches[0]
    if len(classes) != 2:
        return None
    counts = y.value_counts()
    return min(classes[::-1], key=lambda c: counts[c])


def _small_class_warnings(task: Task) -> list[str]:
    return [
        f"class {c!r} has only {n} rows; estimates for it are very uncertain."
        for c, n in task.class_counts.items()
        if n < SMALL_CLASS_WARNING
    ]


def _leak_warnings(task: Task) -> list[str]:
    """Flag columns that alone predict the target almost perfectly.

    A tiny tree on one column scores each feature in-sample (balanced
    accuracy for classes, R² for a number). Honest features rarely reach
    0.98 alone; a column that does is usually recorded after the outcome (a
    leak) or computed from it. We warn and keep the column: the user
    decides, because some diagnoses are defined by one measurement.
    """
    if task.n_rows > LEAK_CHECK_ROWS:  # a sample tells a near-perfect predictor as well
        rows = np.random.default_rng(0).choice(task.n_rows, LEAK_CHECK_ROWS, replace=False)
        task = task.subset(np.sort(rows))
    target = task.y.to_numpy(dtype=float) if task.is_regression else task.codes
    what = "explains {:.0%} of the target's variance" if task.is_regression else \
        "predicts the target {:.0%} of the time (balanced)"
    warnings = []
    for column in _leak_candidates(task, target):
        score = _single_column_score(task.X[column], target, task.feature_types[column])
        if score >= LEAK_SCORE:
            warnings.append(
                f"column {column!r} alone {what.format(score)}; check that it is not recorded "
                "after the outcome (a leak)."
            )
    return warnings


def _leak_candidates(task: Task, target: np.ndarray) -> list[str]:
    """All columns of a normal table; on a wide one, the numeric columns most related to y.

    A gene-expression table has thousands of columns and one tree each would
    take minutes; a vectorised F-score keeps the top ones for the tree, and
    a leak (a near-perfect predictor) always has a very high F-score.
    """
    numeric = task.columns_of("numeric")
    if len(numeric) <= MAX_LEAK_CHECKS:
        return list(task.X.columns)
    from sklearn.feature_selection import f_classif, f_regression  # fit only: predict skips it

    block = task.X[numeric].to_numpy(dtype=float)
    block = np.where(np.isnan(block), np.nanmedian(block, axis=0), block)
    f_score = f_regression if task.is_regression else f_classif
    with np.errstate(all="ignore"):
        scores = np.nan_to_num(f_score(block, target)[0], nan=0.0)
    top = [numeric[i] for i in np.argsort(-scores)[:MAX_LEAK_CHECKS]]
    return top + task.columns_of("categorical")


def _single_column_score(column: pd.Series, target: np.ndarray, kind: str) -> float:
    """In-sample score of a small tree on one column, shrunk by the column's missing share."""
    known = column.notna().to_numpy()
    if known.sum() < 10:
        return 0.0
    if kind == "numeric":
        values = column.to_numpy(dtype=float)[known].reshape(-1, 1)
    else:
        values = pd.factorize(column[known])[0].reshape(-1, 1)
        if values.max() + 1 > max(10, known.sum() / 10):
            return 0.0
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # fit only

    y = target[known]
    if target.dtype.kind == "f":
        tree = DecisionTreeRegressor(max_leaf_nodes=None if kind == "categorical" else 16,
                                     random_state=0)
        return max(float(tree.fit(values, y).score(values, y)), 0.0) * known.mean()
    leaves = None if kind == "categorical" else 2 * (int(target.max()) + 1)
    tree = DecisionTreeClassifier(max_leaf_nodes=leaves, random_state=0)
    predicted = tree.fit(values, y).predict(values)
    recalls = [np.mean(predicted[y == k] == k) for k in np.unique(y)]
    return float(np.mean(recalls)) * known.mean()


def _first(texts: list[str], limit: int = 10) -> str:
    """Up to ``limit`` items, comma-separated, "..." saying that more were left out."""
    return ", ".join(texts[:limit]) + (", ..." if len(texts) > limit else "")
