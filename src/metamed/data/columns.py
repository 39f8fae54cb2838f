"""Column type inference: numeric, categorical, molecule (SMILES), ID-like, date, unusable.

Why a module of its own: the same rules decide what a user's CSV and a
corpus table become, and the rules are heuristics that deserve to be read
(and disputed) in one place.
"""

from __future__ import annotations

import re
import warnings
from typing import Literal

import pandas as pd

ColumnKind = Literal["numeric", "categorical", "molecule", "id", "date", "empty", "constant"]

_ID_NAME = re.compile(
    r"(^|[_.\s])(id|ids|identifier|rownames|index|patient|subject|record|mrn|uuid)$"
    r"|^(id|pid|sid)[_.]?\w*$|_id$",
    re.IGNORECASE,
)
_MIN_ROWS_FOR_ID = 20
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
#: A unit after a number: it starts with a letter, %, ° or µ ("mg/dL", "%", "°C", "kg/m2").
#: A single letter counts only when a space sets it apart ("5 g"): "7p" or "3a" are codes.
_UNIT = r"[%°µ]\S*|[^\W\d_]\S*"
_WITH_UNIT = re.compile(
    rf"^\s*(?P<number>{_NUMBER})(?:\s+(?P<spaced>{_UNIT})|(?P<joined>[%°µ]\S*|[^\W\d_]{{2}}\S*))?"
    r"\s*$"
)


def infer_kind(column: pd.Series) -> ColumnKind:
    """Classify one column by its values and, for IDs, its name."""
    values = column.dropna()
    if values.empty:
        return "empty"
    if values.nunique() == 1:
        return "constant"
    if pd.api.types.is_bool_dtype(column):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(column):
        return "date"
    if pd.api.types.is_numeric_dtype(column):
        return "id" if _looks_like_numeric_id(column.name, values) else "numeric"
    if _looks_like_dates(values):
        return "date"
    if _looks_like_molecules(values):
        return "molecule"
    if _mostly_unique(values) or (_ID_NAME.search(str(column.name)) and _half_unique(values)):
        return "id"
    return "categorical"


def _looks_like_molecules(values: pd.Series) -> bool:
    """SMILES strings, by a cheap look at the text first and RDKit's parser second.

    The first look keeps RDKit out of every other table: drug-like SMILES
    carry branches, bonds or brackets, which identifiers and labels do not.
    Without RDKit (the ``molecules`` extra) the column stays what it was.
    """
    text = values.astype(str).head(200)
    if text.str.contains(" ").any() or not text.str.contains(r"[(=#\[]").mean() >= 0.5:
        return False
    from metamed.molecules.detect import looks_like_smiles

    try:
        return looks_like_smiles(values)
    except ImportError:  # RDKit is not installed
        return False


def _looks_like_numeric_id(name: object, values: pd.Series) -> bool:
    """An integer column that names itself an ID and is (nearly) unique per row."""
    if not _ID_NAME.search(str(name)):
        return False
    integral = bool((values.astype(float) % 1 == 0).all())
    return integral and _half_unique(values)


def _half_unique(values: pd.Series) -> bool:
    return len(values) >= _MIN_ROWS_FOR_ID and values.nunique() >= 0.5 * len(values)


def _mostly_unique(values: pd.Series) -> bool:
    """Free text or codes: almost every row has its own value."""
    return len(values) >= _MIN_ROWS_FOR_ID and values.nunique() >= 0.9 * len(values)


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.astype(str).head(50)
    if not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce")
    return bool(parsed.notna().mean() > 0.9)


def coerce_numeric_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn text columns that hold only numbers (e.g. '1.5', ' 2') into floats.

    CSV readers leave a column as text when one cell is odd (a stray space,
    'NA ' ...); treating '1.5' as a category would silently waste it.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            continue
        converted = pd.to_numeric(column.astype("string").str.strip(), errors="coerce")
        if column.notna().sum() and converted.notna().sum() == column.notna().sum():
            out[name] = converted.astype(float)
    return out


def numbers_with_units(column: pd.Series) -> tuple[pd.Series, list[str]] | None:
    """A text column of numbers, some or all followed by a unit ("12", "12 mg"), as numbers.

    Returns the numbers (NaN where the column is missing) and the units
    found, sorted; None when a value is anything else, or no value has a unit.
    Exports from lab systems often write the unit into the cell, and such a
    column would otherwise become a category with a level per value.
    """
    text = column.dropna().astype(str)
    if text.empty or not text.head(50).str.fullmatch(_WITH_UNIT).all():
        return None
    parts = text.str.extract(_WITH_UNIT)
    if parts["number"].isna().any():
        return None
    units = parts["spaced"].fillna(parts["joined"]).dropna()
    if units.empty:
        return None
    numbers = pd.to_numeric(parts["number"]).reindex(column.index).rename(column.name)
    return numbers.astype(float), sorted(units.unique().tolist())


def strip_unit(column: pd.Series, unit: str) -> tuple[pd.Series, int]:
    """``column`` with ``unit`` removed from the values that are a number followed by it,
    and how many were; other values are left as they are."""
    if pd.api.types.is_numeric_dtype(column):
        return column, 0
    pattern = rf"^\s*({_NUMBER})\s*{re.escape(unit)}\s*$"
    numbers = column.astype("string").str.extract(pattern)[0]
    found = numbers.notna()
    return column.astype(object).where(~found, numbers.astype(object)), int(found.sum())
