"""What kind of task a target makes: classes to tell apart, or a number to predict.

Why a module of its own: the choice changes everything downstream (models,
metrics, the baseline to beat), so it is made once, here, with a reason the
user can read ("a number with 131 distinct values"), and it can be forced
(``--task``) when the rule of thumb is wrong, e.g. for a 0-30 symptom score
the user wants predicted as a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metamed.data.task import TaskType
from metamed.errors import MetamedError

TASK_TYPES: tuple[str, ...] = ("auto", "classification", "regression")
#: More distinct whole numbers than this make a numeric target look like a
#: measurement (age, days in hospital); clinical scores such as Apgar (0-10)
#: or Glasgow (3-15) stay below it and remain classes.
MAX_NUMERIC_CLASSES = 20
#: Fewer rows than this leave a regression's cross-validation folds with a
#: handful of values each; its error estimates would be noise.
MIN_REGRESSION_ROWS = 20
#: A text column is read as a mistyped number column when this share of its
#: values are numbers (the rest is what the error message quotes).
NUMERIC_SHARE = 0.9


def resolve_task_type(y: pd.Series, requested: str, target: str) -> tuple[TaskType, str]:
    """The task type for target ``y`` and the reason, in words, it was chosen.

    ``requested`` is ``"auto"`` (decide from the values), ``"classification"``
    or ``"regression"``. A constant target is refused whatever was asked.
    """
    if requested not in TASK_TYPES:
        raise MetamedError(
            f"task type {requested!r} is not one of {', '.join(TASK_TYPES)}."
        )
    _check_not_constant(y, target)
    if requested == "regression":
        return "regression", "regression, as requested"
    reason = continuous_reason(y)
    if requested == "classification":
        if reason and reason.startswith("holds fractions"):
            raise MetamedError(
                f"target column {target!r} looks continuous and cannot be classes (it {reason}); "
                "use --task regression or bin it first."
            )
        return "classification", "classification, as requested"
    numbers = _numbers_written_as_text(y, target)
    reason = continuous_reason(numbers) if numbers is not None else reason
    if reason:
        return "regression", f"regression: {target!r} {reason}"
    return "classification", f"classification: {target!r} has {y.nunique()} classes"


def regression_target(y: pd.Series, target: str) -> pd.Series:
    """``y`` as floats, refusing text and too few rows with one sentence each."""
    values = pd.to_numeric(y, errors="coerce") if not _is_number(y) else y
    text = y[values.isna()]
    if len(text):
        raise MetamedError(
            f"target column {target!r} holds text such as {text.iloc[0]!r} (row "
            f"{_row_number(text)}); a regression target must hold numbers only."
        )
    if len(values) < MIN_REGRESSION_ROWS:
        raise MetamedError(
            f"target column {target!r} has {len(values)} rows with a value; a regression "
            f"needs at least {MIN_REGRESSION_ROWS}."
        )
    return values.astype(float)


def continuous_reason(y: pd.Series) -> str | None:
    """Why a numeric target looks like a measurement rather than classes, if it does."""
    if not _is_number(y):
        return None
    values = y.to_numpy(dtype=float)
    fractions = values[values % 1 != 0]
    if fractions.size:
        return f"holds fractions such as {fractions[0]:g}"
    distinct = len(np.unique(values))
    if distinct > MAX_NUMERIC_CLASSES:
        return f"is a number with {distinct} distinct values"
    return None


def _check_not_constant(y: pd.Series, target: str) -> None:
    values = y.unique()
    if len(values) < 2:
        raise MetamedError(
            f"column {target!r} has 1 distinct value ({_plain(values[0])!r}), i.e. one class "
            "and no variation: there is nothing to predict, choose another target."
        )


def _numbers_written_as_text(y: pd.Series, target: str) -> pd.Series | None:
    """A text column whose every value is a number, as numbers; None otherwise.

    A column of measurements with a stray word ('12.5', 'n/a') is a typing
    error, not classes, and is refused in one sentence.
    """
    if _is_number(y):
        return None
    if pd.to_numeric(pd.Series(y.unique()), errors="coerce").isna().all():
        return None  # class names: decided on the distinct values (a million rows: 0.9 s -> 0.05)
    numbers = pd.to_numeric(y, errors="coerce")
    if numbers.notna().all():
        return numbers
    if numbers.notna().mean() >= NUMERIC_SHARE and continuous_reason(numbers.dropna()):
        text = y[numbers.isna()]
        raise MetamedError(
            f"target column {target!r} holds numbers and text such as {text.iloc[0]!r} (row "
            f"{_row_number(text)}); correct the text, or say --task classification if its "
            "values are class names."
        )


def _plain(value: object) -> object:
    """A NumPy scalar as the Python value it holds, so messages read ``3.0``, not ``np.float64``."""
    return value.item() if isinstance(value, np.generic) else value


def _is_number(y: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)


def _row_number(values: pd.Series) -> str:
    """The data row (1-based, after the header) of the first value, when the index allows."""
    first = values.index[0]
    return str(first + 1) if isinstance(first, (int, np.integer)) else repr(first)
