"""Find the same data shipped twice, by content rather than by name.

Why more than :meth:`Task.content_hash`: that hash is equal only when two
tasks hold exactly the same columns and rows. Packages often ship the same
patients with other column subsets, other names or only the complete cases,
so two weaker signals are computed as well, both ignoring column names:

* identical columns -- a column's sorted values are a fingerprint; two
  tables sharing several informative columns hold the same rows;
* contained columns -- a bottom-k sketch of a column's distinct precise
  numbers (see :func:`_precise`) estimates which share of them appear in some column of
  the other table; this survives row subsets (e.g. complete cases only).

Tables of integers and coarse numbers with row subsets escape both; the
maintenance script ``scripts/check_corpus.py`` prints every flagged pair for
a person to judge (true duplicate: drop one; same patients with other
features or another outcome: give both one ``family``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metamed.data.task import column_digest

MIN_DISTINCT = 5
MIN_PRECISE = 20
SKETCH_SIZE = 128
MAX_SKETCHED_COLUMNS = 200
CONTAINED = 0.8


@dataclass(frozen=True)
class Fingerprint:
    """What is compared between two tables: column digests and column sketches."""

    digests: frozenset[str]
    sketches: tuple[np.ndarray, ...]
    n_distinct: tuple[int, ...]


@dataclass(frozen=True)
class Overlap:
    """Two tables that look like the same data."""

    first: str
    second: str
    identical_columns: int
    contained_columns: int

    def __str__(self) -> str:
        return (
            f"{self.first} ~ {self.second}: {self.identical_columns} identical and "
            f"{self.contained_columns} contained column(s)"
        )


def fingerprint(frame: pd.DataFrame) -> Fingerprint:
    """Digests of informative columns and sketches of the most varied numeric ones."""
    digests, precise = set(), []
    for name in frame.columns:
        column = frame[name].dropna()
        if column.nunique() < MIN_DISTINCT or _is_row_counter(column, len(frame)):
            continue
        digests.add(column_digest(column))
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = _precise(column.to_numpy(dtype=float))
            if len(values) >= MIN_PRECISE:
                precise.append(values)
    precise = sorted(precise, key=len, reverse=True)[:MAX_SKETCHED_COLUMNS]
    sketches = tuple(np.sort(_mix(v.view(np.uint64)))[:SKETCH_SIZE] for v in precise)
    return Fingerprint(frozenset(digests), sketches, tuple(len(v) for v in precise))


def find_overlaps(prints: dict[str, Fingerprint], min_columns: int = 2) -> list[Overlap]:
    """Pairs of tables sharing ``min_columns`` identical or contained columns.

    A table with a single informative column is flagged on that one column.
    """
    owners: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for name, fp in prints.items():
        for index, sketch in enumerate(fp.sketches):
            for value in sketch.tolist():
                owners[value].add((name, index))
    contained: dict[tuple[str, str], set[int]] = defaultdict(set)
    for name, fp in prints.items():
        for index, sketch in enumerate(fp.sketches):
            partners = {o for value in sketch.tolist() for o in owners[value] if o[0] != name}
            for other, other_index in partners:
                if _containment(fp, index, prints[other], other_index) >= CONTAINED:
                    contained[(name, other)].add(index)
    found = []
    names = sorted(prints)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = prints[first], prints[second]
            identical = len(a.digests & b.digests)
            inside = max(len(contained[(first, second)]), len(contained[(second, first)]))
            small = min(len(a.digests), len(b.digests))
            if max(identical, inside) >= min(min_columns, max(small, 1)):
                found.append(Overlap(first, second, identical, inside))
    return found


def _containment(a: Fingerprint, i: int, b: Fingerprint, j: int) -> float:
    """Share of column a[i]'s distinct values found in column b[j] (sketch estimate).

    Below b's largest kept hash, b's sketch holds all of b's hashes, so the
    membership of a's sketched values there is exact; only those are used.
    """
    sa, sb = a.sketches[i], b.sketches[j]
    limit = sb[-1] if b.n_distinct[j] > len(sb) else np.iinfo(np.uint64).max
    eligible = sa[sa <= limit]
    if len(eligible) < 10:
        return 0.0
    return float(np.isin(eligible, sb).mean())


def _precise(values: np.ndarray) -> np.ndarray:
    """Distinct values that identify a table: neither short decimals nor short binaries.

    Short decimals (1.5, 0.25) recur in unrelated tables; so do numbers stored
    with a few binary digits (0.0999908 is 0.1 kept in 13 bits, an artefact
    some export pipelines share). What is left is specific to one data set.
    """
    values = values[np.isfinite(values)]
    mantissa, _ = np.frexp(values)
    short_binary = (mantissa * 2.0**16) % 1 == 0
    short_decimal = np.round(values, 2) == values
    return np.unique(np.round(values[~short_binary & ~short_decimal], 6))


def _is_row_counter(column: pd.Series, n_rows: int) -> bool:
    """Row numbers and ids (consecutive integers) match between unrelated tables."""
    if not pd.api.types.is_numeric_dtype(column) or column.nunique() < 0.9 * n_rows:
        return False
    values = np.unique(column.to_numpy(dtype=float))
    return bool((values % 1 == 0).all() and values[-1] - values[0] + 1 == len(values))


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spreads similar bit patterns over the hash range."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
