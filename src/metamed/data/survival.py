"""Checking a time-to-event outcome: follow-up time and event indicator.

A survival task is never inferred: the user names both columns
(``--time`` and ``--event``). What a cohort export really holds is checked
here, each problem refused in one sentence: an event column with more than
two codes (competing risks, not supported yet), times that are zero or
negative, counting-process (start, stop] rows, and too few events to
cross-validate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metamed.errors import MetamedError

#: Fewest events a survival task needs: every CV fold must hold some.
MIN_EVENTS = 10
#: Column names that mark counting-process rows (one row per interval of a patient).
_INTERVAL_NAMES = frozenset({"start", "stop", "tstart", "tstop", "time1", "time2", "entry",
                             "t_start", "t_stop", "start_time", "stop_time"})
#: The follow-up quantiles whose survival is predicted and scored (TRIPOD: a stated time).
HORIZON_QUANTILES = (0.25, 0.5, 0.75)


def event_indicator(values: pd.Series, column: str) -> tuple[pd.Series, list[str]]:
    """The event column as 0 (censored) / 1 (event), and a note when it was recoded.

    Accepted: 0/1, False/True, and R's survival convention 1/2 (2 = event),
    said in a note. Anything else is refused: more than two codes usually
    means competing risks, and two text labels do not say which is the event.
    """
    codes = sorted(values.dropna().unique().tolist(), key=str)
    if len(codes) > 2:
        raise MetamedError(
            f"event column {column!r} has {len(codes)} codes ({', '.join(map(str, codes[:5]))}); "
            "metamed takes one event against censoring (0/1): competing risks are not "
            "supported yet, so code the event of interest 1 and everything else 0.")
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() != values.notna().sum():
        raise MetamedError(
            f"event column {column!r} holds text ({codes[0]!r}); code it 1 for the event and "
            "0 for censored.")
    present = set(numeric.dropna().unique().tolist())
    if present <= {0, 1}:
        return numeric.astype(float), []
    if present <= {1, 2}:
        note = (f"event column {column!r} coded 1/2 read as R's survival convention: 2 = "
                "event, 1 = censored.")
        return (numeric - 1).astype(float), [note]
    raise MetamedError(
        f"event column {column!r} is coded {sorted(present)}; code it 1 for the event and 0 "
        "for censored.")


def check_follow_up(time: pd.Series, column: str) -> pd.Series:
    """Follow-up times as floats, all positive; refused otherwise, naming the first bad row."""
    values = pd.to_numeric(time, errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 1
        raise MetamedError(f"time column {column!r} holds a value that is not a number (row "
                           f"{row}: {time.iloc[row - 1]!r}); follow-up times must be numbers.")
    bad = values <= 0
    if bad.any():
        raise MetamedError(
            f"time column {column!r} has {int(bad.sum())} follow-up times of zero or less "
            f"(first: {values[bad].iloc[0]:g}); a survival model needs time > 0, so check "
            "how follow-up was computed (an event on day 0 can be recorded as 0.5 days).")
    return values.astype(float)


def refuse_intervals(frame: pd.DataFrame, group_column: str | None) -> None:
    """Refuse counting-process data: (start, stop] columns, or patients with several rows."""
    named = [c for c in frame.columns if str(c).strip().lower() in _INTERVAL_NAMES]
    if named:
        raise MetamedError(
            f"the table has interval columns ({', '.join(map(str, named))}): counting-process "
            "(start, stop] rows with time-varying covariates are not supported; give one row "
            "per patient with the baseline covariates.")
    if group_column is not None and frame[group_column].duplicated().any():
        raise MetamedError(
            f"group column {group_column!r} repeats patients: several rows per patient look "
            "like counting-process (start, stop] data, which is not supported; give one row "
            "per patient.")


def check_events(event: pd.Series) -> None:
    """Enough events to cross-validate, and at least one censored or event row each way."""
    events = int(event.sum())
    if events < MIN_EVENTS:
        raise MetamedError(
            f"only {events} events (of {len(event)} patients): a survival model cannot be "
            f"cross-validated on fewer than {MIN_EVENTS}.")


def horizons(time: np.ndarray, event: np.ndarray) -> tuple[float, ...]:
    """The default horizons: the quartiles of follow-up (3 significant digits).

    Where follow-up ends for most patients at one date (administrative
    censoring: half of a cohort followed exactly 180 days), those quartiles
    reach the last time, where nothing can be scored; then the quartiles
    of the event times are used instead.
    """
    last = time.max()
    for source in (time, time[event == 1]):
        found = sorted({float(f"{t:.3g}") for t in np.quantile(source, HORIZON_QUANTILES)})
        found = [t for t in found if 0 < t < last]
        if len(found) == len(HORIZON_QUANTILES):
            return tuple(found)
    return tuple(found)
