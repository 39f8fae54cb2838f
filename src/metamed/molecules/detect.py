"""Is a text column a column of molecules? Decided by parsing a sample with RDKit.

A SMILES column is mostly unique text, so without this check it looks
like an identifier and is dropped. Parsing alone is not enough: short
codes such as ``F``, ``N`` or ``CO`` are valid SMILES too (fluorine,
nitrogen, methanol), so a column counts as molecules only when its values
are mostly distinct, long enough to be structures, and nearly all parse.
"""

from __future__ import annotations

import pandas as pd

from metamed.molecules.featurize import parse

#: Distinct values parsed to decide: enough to see a pattern, few enough to be quick.
SAMPLE = 50
#: Share of the sampled values that must parse (an export may hold a few broken ones).
MIN_PARSED = 0.9
#: Median length below which values are codes, not structures.
MIN_MEDIAN_LENGTH = 5
#: Share of distinct values among the non-missing ones.
MIN_DISTINCT = 0.5


def looks_like_smiles(values: pd.Series) -> bool:
    """Whether ``values`` (text) are SMILES strings of molecules."""
    present = values.dropna()
    if present.empty or not all(isinstance(v, str) for v in present):
        return False
    distinct = present.drop_duplicates()
    if len(distinct) < MIN_DISTINCT * len(present) or len(distinct) < 5:
        return False
    sample = distinct.sample(min(SAMPLE, len(distinct)), random_state=0)
    if sample.str.len().median() < MIN_MEDIAN_LENGTH or sample.str.contains(" ").any():
        return False
    return sum(parse(v) is not None for v in sample) >= MIN_PARSED * len(sample)


def invalid_rows(values: pd.Series) -> pd.Series:
    """The non-missing values RDKit cannot read, by row: what a note names and counts."""
    present = values.dropna()
    return present[[parse(v) is None for v in present]]
