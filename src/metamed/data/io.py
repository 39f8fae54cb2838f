"""Read a user's table (CSV, TSV, Parquet, Excel) and turn it into a Task.

Reading is where most real-world trouble starts (a file saved in Latin-1,
a stray delimiter, two columns with the same name), so every failure is
translated into one sentence that names the file and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
import zlib
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from metamed.data.task import Provenance, Task
from metamed.data.validation import make_task
from metamed.errors import MetamedError

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
#: Suffixes whose delimiter is guessed from the first lines: a ".csv" saved by
#: a European spreadsheet uses semicolons, and ".txt" promises nothing.
SNIFFED_SUFFIXES = {".csv", ".txt"}
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}
SNIFFED_LINES = 20
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
KNOWN_SUFFIXES = {*TEXT_SUFFIXES, *PARQUET_SUFFIXES, *EXCEL_SUFFIXES}
#: Byte-order marks, UTF-32's before UTF-16's (UTF-32 LE's mark begins with UTF-16 LE's).
BYTE_ORDER_MARKS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
#: A number written with a decimal comma ("113,5", "-0,25", "12"), as a European
#: spreadsheet exports it in a semicolon- or tab-separated file.
_DECIMAL_COMMA = re.compile(r"\s*[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?\s*")
#: JSON's opening: an object ({"..." or {}) or an array of values ([{, [[, [", [1, [-1, []).
#: A header such as "[Na+],[K+],label" does not match.
_JSON_START = re.compile(r'\{\s*["}]|\[\s*[\[{"\]\d-]')
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


def read_table(path: str | Path, *, encoding: str = "utf-8",
               sheet: str | int | None = None) -> pd.DataFrame:
    """Read a table from disk, keeping the header's column names as written.

    Raises
    ------
    MetamedError
        Missing or unreadable file, unknown format, wrong encoding,
        malformed rows, JSON content, or a file without data rows.
    """
    return read_table_with_notes(path, encoding=encoding, sheet=sheet)[0]


def read_table_with_notes(
    path: str | Path, *, encoding: str = "utf-8", sheet: str | int | None = None,
    columns: Collection[str] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """The table and what reading it assumed that the user did not say.

    A delimiter other than the suffix's, an encoding taken from the file's
    byte-order mark, decimal commas, or the first of several Excel sheets
    is a guess the user should be able to check; :func:`load_task` adds
    these notes to the task's.

    ``sheet`` is an Excel sheet's name or its index (0 for the first, the
    default). When the sheet read lacks one of ``columns`` (the target, or
    a model's features) and the workbook has other sheets, the error names
    them: a workbook's first sheet is often a cover page.

    Raises
    ------
    MetamedError
        As :func:`read_table` does.
    """
    path = Path(path)
    _check_readable(path)
    suffix = path.suffix.lower()
    if suffix not in KNOWN_SUFFIXES:
        known = ", ".join(sorted(KNOWN_SUFFIXES))
        raise MetamedError(f"file '{path}' has an unknown format '{suffix}'; use one of {known}.")
    notes: list[str] = []
    try:
        frame = _read_known(path, suffix, encoding, sheet, columns, notes)
    except MetamedError:
        raise
    except UnicodeDecodeError as error:
        raise MetamedError(
            f"file '{path}' is not valid {error.encoding} text (byte "
            f"{error.object[error.start]:#x} at position {error.start}); save it as UTF-8 or "
            "pass --encoding latin-1."
        ) from error
    except pd.errors.EmptyDataError as error:
        raise MetamedError(
            f"file '{path}' is empty; it needs a header row and data rows."
        ) from error
    except LookupError as error:
        raise MetamedError(
            f"'{encoding}' is not an encoding Python knows; use e.g. utf-8 or latin-1."
        ) from error
    except (pd.errors.ParserError, csv.Error) as error:
        detail = _line_of(error, -1)
        raise MetamedError(f"file '{path}' is not a well-formed table: {detail}.") from error
    except (OSError, ValueError, ImportError) as error:
        detail = _line_of(error, 0)
        raise MetamedError(f"could not read '{path}' as {suffix[1:]}: {detail}.") from error
    _check_has_rows(frame, path)
    return frame, notes


def _line_of(error: BaseException, index: int) -> str:
    """One line of another library's message (pandas' last line names the bad row)."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[index].rstrip(".")


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


def _read_known(
    path: Path, suffix: str, encoding: str, sheet: str | int | None, columns: Collection[str],
    notes: list[str],
) -> pd.DataFrame:
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, _encoding_of(path, encoding, notes), suffix, notes)
    if suffix in PARQUET_SUFFIXES:
        return pd.read_parquet(path)
    return _read_excel(path, sheet, columns, notes)


def _check_has_rows(frame: pd.DataFrame, path: Path) -> None:
    """A header with nothing under it is the file's problem, not the target's."""
    if frame.shape[1] == 0:
        raise MetamedError(f"file '{path}' is empty; it needs a header row and data rows.")
    if len(frame) == 0:
        raise MetamedError(f"file '{path}' has column names but no data rows.")


def _encoding_of(path: Path, encoding: str, notes: list[str]) -> str:
    """The encoding a byte-order mark names, else the one asked for.

    A mark is the file's own statement of its encoding (Excel's "Unicode
    text" is UTF-16 with one), so it wins over ``--encoding``.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    marked = next((name for mark, name in BYTE_ORDER_MARKS if head.startswith(mark)), None)
    if marked is None:
        return encoding
    if _codec(marked) != _codec(encoding):
        named = _codec(marked).upper()
        notes.append(f"'{path.name}' was read as {named}, as its byte-order mark says.")
    return marked


def _codec(encoding: str) -> str:
    """The codec's own name, with UTF-8 and UTF-8-with-mark as one."""
    return codecs.lookup(encoding).name.removesuffix("-sig")


def _read_text(path: Path, encoding: str, suffix: str, notes: list[str]) -> pd.DataFrame:
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(65536)
    sample = sample.lstrip("\ufeff")
    if not sample.strip():
        raise pd.errors.EmptyDataError
    if _JSON_START.match(sample.lstrip()):
        raise MetamedError(
            f"file '{path}' looks like JSON, not a table; save it as {suffix[1:]} with a header "
            "row and one row per patient."
        )
    lines = [line for line in sample.splitlines() if line.strip()]
    separator = _separator(path, suffix, lines, notes)
    header = next(csv.reader([lines[0]], delimiter=separator))
    frame = pd.read_csv(
        path,
        sep=separator,
        encoding=encoding,
        encoding_errors="strict",
        skipinitialspace=True,
        keep_default_na=False,
        na_values=MISSING_MARKERS,
    )
    frame = _restore_header(frame, [h.strip() for h in header])
    return frame if separator == "," else _decimal_commas(frame, path, notes)


def _decimal_commas(frame: pd.DataFrame, path: Path, notes: list[str]) -> pd.DataFrame:
    """Text columns whose numbers are written with a decimal comma ("113,5"), as numbers.

    Decided column by column (a file can mix a dotted export with typed-in
    commas), only in files not separated by commas, and only when every
    value of the column is such a number: "1,2" among words is text.
    Without this, 113,5 is text, and validation makes the column a
    category or drops it as an ID.
    """
    converted, example = [], ""
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        text = column.dropna().astype(str)
        commas = text[text.str.contains(",", regex=False)]
        if commas.empty or not text.str.fullmatch(_DECIMAL_COMMA).all():
            continue
        numbers = text.str.strip().str.replace(",", ".", regex=False).astype(float)
        frame.isetitem(i, numbers.reindex(column.index))
        converted.append(str(frame.columns[i]))
        example = example or commas.iloc[0].strip()
    if converted:
        notes.append(f"'{path.name}' writes decimals with a comma (e.g. '{example}') in "
                     f"{len(converted)} column(s), read as numbers: {', '.join(converted[:10])}"
                     f"{', ...' if len(converted) > 10 else ''}.")
    return frame


def _separator(path: Path, suffix: str, lines: list[str], notes: list[str]) -> str:
    """The suffix's delimiter, or for .csv and .txt the one the first lines use.

    The first lines together tell a semicolon file whose names hold a comma;
    the header alone tells a file with a ragged row (reported by the parser);
    a header without any delimiter is a table of one column.
    """
    implied = TEXT_SUFFIXES[suffix]
    if suffix not in SNIFFED_SUFFIXES:
        return implied
    separator = _sniff(["\n".join(lines[:SNIFFED_LINES]), lines[0]]) or implied or ","
    if implied is not None and separator != implied:
        notes.append(
            f"'{path.name}' is separated by {DELIMITERS[separator]}, not "
            f"{DELIMITERS[implied]}, and was read that way."
        )
    return separator


def _sniff(samples: list[str]) -> str | None:
    """The first delimiter csv.Sniffer finds in one of ``samples``, tried in order."""
    for sample in samples:
        try:
            return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
        except csv.Error:
            continue
    return None


def _read_excel(path: Path, sheet: str | int | None, columns: Collection[str],
                notes: list[str]) -> pd.DataFrame:
    try:
        with pd.ExcelFile(path) as book:
            names = [str(name) for name in book.sheet_names]
            chosen = _sheet_name(path, names, sheet)
            frame = pd.read_excel(book, sheet_name=chosen)
            header = pd.read_excel(book, sheet_name=chosen, header=None, nrows=1)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise MetamedError(
            f"'{path}' is not a readable Excel file (it may be truncated or corrupt)."
        ) from error
    lacking = [c for c in columns if c not in frame.columns.astype(str)]
    if len(names) > 1 and lacking:
        raise MetamedError(
            f"sheet '{chosen}' of '{path.name}' has no column {lacking[0]!r}; the workbook's "
            f"sheets are {_listed(names)}: choose one with --sheet NAME or INDEX."
        )
    if len(names) > 1 and sheet is None:
        notes.append(f"'{path.name}' has {len(names)} sheets ({_listed(names)}); the first, "
                     f"'{chosen}', was read (--sheet chooses another).")
    row = header.iloc[0].tolist() if len(header) else []
    return _restore_header(frame, [str(h) for h in row])


def _sheet_name(path: Path, names: list[str], sheet: str | int | None) -> str:
    """The sheet ``sheet`` names: a name, or an index (0 for the first; digits count)."""
    if sheet is None:
        return names[0]
    if str(sheet) in names:
        return str(sheet)
    if str(sheet).isdigit() and int(sheet) < len(names):
        return names[int(sheet)]
    raise MetamedError(
        f"'{path.name}' has no sheet {sheet!r}; its sheets are {_listed(names)} "
        f"(give a name, or an index from 0 to {len(names) - 1})."
    )


def _listed(names: list[str]) -> str:
    """Sheet names with their indices: "'Cover' (0), 'Patients' (1)"."""
    return ", ".join(f"{name!r} ({i})" for i, name in enumerate(names[:10])) + (
        ", ..." if len(names) > 10 else "")


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
    task_type: str = "auto",
    sheet: str | int | None = None,
    event: str | None = None,
    horizons: tuple[float, ...] | None = None,
) -> Task:
    """Read ``source`` (a path or a DataFrame) and validate it into a Task.

    What reading assumed (a sniffed delimiter, a byte-order mark's encoding,
    decimal commas, an Excel sheet) comes first in the task's notes. A
    user's table, unlike a corpus table, has its identical rows grouped
    (see :func:`~metamed.data.validation.make_task`).
    """
    if isinstance(source, pd.DataFrame):
        frame, name, origin, notes = source, "dataframe", "pandas DataFrame", []
    else:
        outcome = [target] if event is None else [target, event]
        frame, notes = read_table_with_notes(source, encoding=encoding, sheet=sheet,
                                             columns=outcome)
        name, origin = Path(source).stem, str(source)
    task = make_task(
        frame,
        target,
        name=name,
        provenance=Provenance(source=origin),
        positive_class=positive_class,
        group_column=group_column,
        drop_columns=drop_columns,
        task_type=task_type,
        group_duplicates=True,
        event=event,
        horizons=horizons,
    )
    task.notes[:0] = notes
    return task
