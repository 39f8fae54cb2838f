"""Whatever the bytes or the table, the user gets a valid Task or one clear sentence.

Hypothesis throws malformed files at ``load_task`` and odd frames at
``make_task``; anything other than a MetamedError or a Task that keeps
:class:`~metamed.data.task.Task`'s promises is a bug in metamed.data.
"""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metamed.data.columns import numbers_with_units
from metamed.data.io import load_task, read_table
from metamed.data.task import joined_groups
from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.evaluation.intervals import _resample_indices

SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

CSV_PIECES = st.sampled_from(
    [",", ";", "\t", "|", '"', "'", "\n", "\r\n", "\r", "\x00", " ", "\ufeff", "{", "[",
     "label", "age", "a", "b", "yes", "no", "1", "2.5", "-", "NA", "inf", "1e39", "", "é"]
)
CSV_TEXT = st.lists(st.one_of(CSV_PIECES, st.text(max_size=5)), max_size=80).map("".join)
CELL_TEXT = st.one_of(st.text(max_size=3), st.sampled_from(
    ["1", "2.5", "-3", "7", "0.1", "1e39", "inf", "NA", "", " ", '"x,y"', "\x00", "é", "yes"]
    + ['"', "a\nb", "ab"]
))
LABEL_TEXT = st.sampled_from(["yes", "no"] * 6 + ["Yes", " no", "", "1"])


@st.composite
def table_shaped_files(draw) -> bytes:
    """A header and rows, with a random delimiter, encoding, junk cells and ragged rows."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    lines = [sep.join(["label", "a", "b"])]
    for _ in range(draw(st.integers(0, 30))):
        width = draw(st.sampled_from([3] * 40 + [2, 4]))
        cells = [draw(LABEL_TEXT)] + [draw(CELL_TEXT) for _ in range(width - 1)]
        lines.append(sep.join(cells))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


CSV_BYTES = st.one_of(
    CSV_TEXT.map(lambda text: text.encode("utf-8")),
    CSV_TEXT.map(lambda text: text.encode("utf-16")),
    st.binary(max_size=300),
    table_shaped_files(),
)

CELLS = st.one_of(
    st.none(),
    st.just(""),
    st.just("  "),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e39, -1e300, 3.4e38, np.inf]),
    st.integers(-3, 3),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.sampled_from(["yes", "Yes", "yes ", "no", "x", "1", " 2", "NA", "inf", "2020-01-01"]),
    st.text(max_size=4),
    st.lists(st.integers(0, 2), max_size=2),
)
NUMBERS = st.one_of(st.floats(-1e3, 1e3), st.sampled_from([np.nan, np.inf, 1e39, -1e39]))
LABELS = st.sampled_from(["yes", "no", "no ", None, 0, 1])
NAMES = st.sampled_from(["a", "a ", "A", "b", "1", "", "id", "label.1", "label "])


@st.composite
def tables(draw) -> pd.DataFrame:
    """A small table: a 'label' column and a few others of mixed cells, names rarely unique."""
    n_rows = draw(st.integers(0, 30))
    others = draw(st.lists(NAMES, max_size=4, unique=draw(st.integers(0, 4)) > 0))
    cells = [draw(st.sampled_from([LABELS, LABELS, CELLS]))]
    cells += [draw(st.sampled_from([CELLS, NUMBERS, LABELS])) for _ in others]
    columns = {i: draw(st.lists(c, min_size=n_rows, max_size=n_rows)) for i, c in enumerate(cells)}
    return pd.DataFrame(columns).set_axis(["label", *others], axis=1)


def _assert_valid(task) -> None:
    """What every Task promises its users."""
    assert task.y.notna().all()
    assert len(task.classes) >= 2 and min(task.class_counts.values()) >= 2
    assert task.n_features >= 1 and task.n_rows == len(task.X)
    numeric = task.X[task.columns_of("numeric")].to_numpy(dtype=float)
    assert not np.isinf(numeric).any()


def _assert_one_sentence(error: MetamedError) -> None:
    message = str(error)
    assert "\n" not in message and message.endswith((".", "?"))


@SETTINGS
@given(CSV_BYTES)
def test_any_bytes_in_a_csv_give_a_task_or_one_sentence(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(data)
        try:
            task = load_task(path, "label")
        except MetamedError as error:
            _assert_one_sentence(error)
        else:
            _assert_valid(task)


@SETTINGS
@given(tables())
def test_any_small_table_gives_a_task_or_one_sentence(frame):
    try:
        task = make_task(frame, "label")
    except MetamedError as error:
        _assert_one_sentence(error)
    else:
        _assert_valid(task)


FINITE = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 4))


@settings(max_examples=100, deadline=None)
@given(st.lists(FINITE, min_size=1, max_size=20), st.sampled_from([";", "\t"]))
def test_numbers_written_with_decimal_commas_read_back_as_written(numbers, sep):
    text = "value" + sep + "label\n" + "".join(
        f"{str(x).replace('.', ',')}{sep}a\n" for x in numbers)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text(text)
        read = read_table(path)["value"]
    np.testing.assert_allclose(read.to_numpy(dtype=float), numbers)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(FINITE, st.booleans()), min_size=1, max_size=20),
       st.sampled_from(["mg", "mg/dL", "%", "°C", "kg/m2", "µmol/L"]), st.sampled_from(["", " "]))
def test_numbers_with_one_unit_read_back_as_written(values, unit, space):
    cells = pd.Series([f"{x}{space}{unit}" if marked else str(x) for x, marked in values])
    found = numbers_with_units(cells)
    if not any(marked for _, marked in values):
        assert found is None
    else:
        np.testing.assert_allclose(found[0], [x for x, _ in values])
        assert found[1] == [unit]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=30))
def test_joined_groups_keep_groups_and_copies_together(rows):
    groups = np.array([f"p{g}" for g, _ in rows], dtype=object)
    codes = np.array([c for _, c in rows])
    joined = joined_groups(groups, codes)
    for i in range(len(rows)):
        together = (groups == groups[i]) | (codes == codes[i])
        assert (joined[together] == joined[i]).all()
    assert set(joined) <= set(groups)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 8), min_size=1, max_size=40), st.integers(0, 99))
def test_every_bootstrap_resample_takes_whole_groups(labels, seed):
    groups = np.array(labels)
    units, samples = _resample_indices(len(groups), groups, 5, seed)
    assert units == len(set(labels))
    for rows in samples:
        drawn = pd.Series(groups[rows]).value_counts()
        sizes = pd.Series(groups).value_counts()
        assert all(drawn[g] % sizes[g] == 0 for g in drawn.index)
