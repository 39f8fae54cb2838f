"""Read a user's table (CSV, TSV, Parquet, Excel) and turn it into a Task.

Reading is where most real-world trouble starts (a file saved in Latin-1,
a stray delimiter, two columns with the same name), so every failure is
translated into one sentence that names the file and says what to do.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from metamed.data.task import Provenance, Task
from metamed.data.validation import make_task
from metamed.errors import MetamedError

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
#: pandas' missing-value markers except "None": in clinical tables "None" is
#: usually an answer (coma: None, smoking: None), and reading it as missing is
#: exactly the corruption the R datasets suffered.
MISSING_MARKERS = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "n/a",
    "nan",
    "null",
]


def read_table(path: str | Path, *, encoding: str = "utf-8", sheet: str | int = 0) -> pd.DataFrame:
    """Read a table from disk, keeping the header's column names as written.

    Raises
    ------
    MetamedError
        Missing or unreadable file, unknown format, wrong encoding,
        malformed rows, or an empty file.
    """
    path = Path(path)
    _check_readable(path)
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            return _read_text(path, encoding, TEXT_SUFFIXES[suffix])
        if suffix in PARQUET_SUFFIXES:
            return pd.read_parquet(path)
        if suffix in EXCEL_SUFFIXES:
            return _read_excel(path, sheet)
    except MetamedError:
        raise
    except UnicodeDecodeError as error:
        raise MetamedError(
            f"file '{path}' is not valid {encoding} text (byte {error.object[error.start]:#x} "
            f"at position {error.start}); save it as UTF-8 or pass --encoding latin-1."
        ) from error
    except pd.errors.EmptyDataError as error:
        raise MetamedError(
            f"file '{path}' is empty; it needs a header row and data rows."
        ) from error
    except pd.errors.ParserError as error:
        detail = str(error).strip().splitlines()[-1].rstrip(".")
        raise MetamedError(f"file '{path}' is not a well-formed table: {detail}.") from error
    except (OSError, ValueError, ImportError) as error:
        raise MetamedError(f"could not read '{path}' as {suffix[1:]}: {error}.") from error
    known = ", ".join(sorted({*TEXT_SUFFIXES, *PARQUET_SUFFIXES, *EXCEL_SUFFIXES}))
    raise MetamedError(f"file '{path}' has an unknown format '{suffix}'; use one of {known}.")


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise MetamedError(f"file '{path}' does not exist.")
    if path.is_dir():
        raise MetamedError(f"'{path}' is a folder; give the path of a data file.")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        raise MetamedError(f"file '{path}' cannot be read: {error.strerror}.") from error


def _read_text(path: Path, encoding: str, separator: str | None) -> pd.DataFrame:
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(65536)
    if not sample.strip():
        raise pd.errors.EmptyDataError
    if separator is None:
        separator = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t|").delimiter
    header = next(csv.reader([sample.lstrip("\ufeff").splitlines()[0]], delimiter=separator))
    frame = pd.read_csv(
        path,
        sep=separator,
        encoding=encoding,
        encoding_errors="strict",
        skipinitialspace=True,
        keep_default_na=False,
        na_values=MISSING_MARKERS,
    )
    return _restore_header(frame, [h.strip() for h in header])


def _read_excel(path: Path, sheet: str | int) -> pd.DataFrame:
    frame = pd.read_excel(path, sheet_name=sheet)
    header = pd.read_excel(path, sheet_name=sheet, header=None, nrows=1).iloc[0].tolist()
    return _restore_header(frame, [str(h) for h in header])


def _restore_header(frame: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    """Undo pandas' renaming of duplicate names ('a', 'a.1') so validation can report them."""
    if len(header) == frame.shape[1]:
        frame.columns = header
    return frame


def load_task(
    source: str | Path | pd.DataFrame,
    target: str,
    *,
    encoding: str = "utf-8",
    positive_class: object | None = None,
    group_column: str | None = None,
    drop_columns: tuple[str, ...] = (),
) -> Task:
    """Read ``source`` (a path or a DataFrame) and validate it into a Task."""
    if isinstance(source, pd.DataFrame):
        frame, name, origin = source, "dataframe", "pandas DataFrame"
    else:
        frame, name, origin = read_table(source, encoding=encoding), Path(source).stem, str(source)
    return make_task(
        frame,
        target,
        name=name,
        provenance=Provenance(source=origin),
        positive_class=positive_class,
        group_column=group_column,
        drop_columns=drop_columns,
    )
