"""Given a bad table, the user gets one clear sentence; given a good one, a clean Task."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from metamed.data.io import load_task, read_table
from metamed.data.validation import conform_features, make_task
from metamed.errors import MetamedError


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 90, n).astype(float),
            "sex": rng.choice(["F", "M"], n),
            "bp": rng.normal(130, 15, n),
            "diagnosis": rng.choice(["yes", "no"], n),
        }
    )


def _write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- reading files -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".xlsx"])
def test_every_supported_format_reads_the_same_table(tmp_path, suffix):
    frame = _frame()
    path = tmp_path / f"data{suffix}"
    {
        ".csv": lambda: frame.to_csv(path, index=False),
        ".tsv": lambda: frame.to_csv(path, sep="\t", index=False),
        ".parquet": lambda: frame.to_parquet(path),
        ".xlsx": lambda: frame.to_excel(path, index=False),
    }[suffix]()
    task = load_task(path, "diagnosis")
    assert task.n_rows == 60
    assert task.feature_types == {"age": "numeric", "sex": "categorical", "bp": "numeric"}


def test_a_dataframe_is_a_valid_source():
    assert load_task(_frame(), "diagnosis").provenance.source == "pandas DataFrame"


def test_missing_file(tmp_path):
    with pytest.raises(MetamedError, match=r"^file '.*nope.csv' does not exist\.$"):
        read_table(tmp_path / "nope.csv")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(MetamedError, match="is a folder"):
        read_table(tmp_path)


def test_unreadable_file(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads any file whatever its mode: use one the kernel refuses
        path = Path("/proc/self/mem")
    with pytest.raises(MetamedError, match="cannot be read"):
        read_table(path)


def test_unknown_format(tmp_path):
    with pytest.raises(MetamedError, match="unknown format '.sav'"):
        read_table(_write(tmp_path, "x", name="data.sav"))


def test_wrong_encoding_names_the_fix(tmp_path):
    path = _write(tmp_path, "name,label\nJosé,1\nAnaïs,0\n", encoding="latin-1")
    with pytest.raises(MetamedError, match="not valid utf-8 text.*--encoding latin-1"):
        read_table(path)
    assert read_table(path, encoding="latin-1").iloc[0, 0] == "José"


def test_malformed_csv_names_the_bad_line(tmp_path):
    path = _write(tmp_path, "a,b,label\n1,2,x\n3,4,y,5,6\n")
    with pytest.raises(MetamedError, match="not a well-formed table.*line 3"):
        read_table(path)


def test_empty_file(tmp_path):
    with pytest.raises(MetamedError, match="is empty"):
        read_table(_write(tmp_path, ""))


def test_duplicate_column_names_in_a_csv_are_reported_not_renamed(tmp_path):
    path = _write(tmp_path, "age,age,label\n1,2,x\n3,4,y\n")
    with pytest.raises(MetamedError, match="duplicate column names \\('age'\\)"):
        load_task(path, "label")


# --- the target ----------------------------------------------------------------------------


def test_absent_target_suggests_the_closest_names():
    with pytest.raises(MetamedError, match="'diagnosys' is not in the table.*'diagnosis'"):
        make_task(_frame(), "diagnosys")


def test_absent_target_suggests_a_different_case():
    with pytest.raises(MetamedError, match="Did you mean 'diagnosis'"):
        make_task(_frame(), "DIAGNOSIS")


def test_target_with_one_value():
    frame = _frame().assign(diagnosis="yes")
    with pytest.raises(MetamedError) as caught:
        make_task(frame, "diagnosis")
    assert str(caught.value) == "column 'diagnosis' has 1 distinct value ('yes'), i.e. one " \
        "class and no variation: there is nothing to predict, choose another target."


def test_a_constant_number_is_refused_as_a_regression_target_too():
    with pytest.raises(MetamedError, match=r"'bp' has 1 distinct value \(3.5\)"):
        make_task(_frame().assign(bp=3.5), "bp", task_type="regression")


def test_target_with_missing_values_drops_those_rows_and_says_how_many():
    frame = _frame()
    frame.loc[:4, "diagnosis"] = np.nan
    task = make_task(frame, "diagnosis")
    assert task.n_rows == 55
    assert "5 rows with a missing target were dropped." in task.notes


def test_target_entirely_missing():
    with pytest.raises(MetamedError, match="has no values"):
        make_task(_frame().assign(diagnosis=np.nan), "diagnosis")


def test_class_with_a_single_row():
    frame = _frame()
    frame.loc[0, "diagnosis"] = "rare"
    with pytest.raises(MetamedError, match="class 'rare' of 'diagnosis' has only 1 row"):
        make_task(frame, "diagnosis")


def test_many_classes_with_a_single_row_are_listed_ten_at_most():
    frame = _frame().assign(code=[f"c{i}" for i in range(58)] + ["c0", "c1"])
    with pytest.raises(MetamedError, match=r"^class 'c2', .*'c11', \.\.\. of 'code' has only"):
        make_task(frame, "code")


def test_a_cell_holding_a_list_is_one_sentence():
    frame = _frame().assign(bp=[[120, 80]] * 60)
    with pytest.raises(MetamedError, match="^column 'bp' has cells that hold several values"):
        make_task(frame, "diagnosis")


def test_small_class_is_a_warning_not_an_error():
    frame = _frame()
    frame["diagnosis"] = ["rare"] * 5 + ["common"] * 55
    task = make_task(frame, "diagnosis")
    assert any("class 'rare' has only 5 rows" in w for w in task.warnings)
    assert task.positive_class == "rare"


def test_unknown_positive_class_lists_the_values():
    with pytest.raises(MetamedError, match="positive class 'maybe'.*'no', 'yes'"):
        make_task(_frame(), "diagnosis", positive_class="maybe")


# --- the features --------------------------------------------------------------------------


def test_id_empty_and_constant_columns_are_dropped_with_a_note():
    frame = _frame().assign(patient_id=range(60), empty=np.nan, site="A")
    frame["mrn"] = [f"MRN{i:05d}" for i in range(60)]
    task = make_task(frame, "diagnosis")
    assert set(task.X.columns) == {"age", "sex", "bp"}
    joined = " ".join(task.notes)
    assert "ID-like" in joined and "patient_id" in joined and "mrn" in joined
    assert "empty" in joined and "constant" in joined


def test_no_usable_feature_left():
    frame = pd.DataFrame({"id": range(30), "label": ["a", "b"] * 15})
    with pytest.raises(MetamedError, match="no usable feature column is left"):
        make_task(frame, "label")


def test_a_column_that_gives_the_answer_away_is_flagged_but_kept():
    frame = _frame()
    frame["discharge_code"] = np.where(frame["diagnosis"] == "yes", 9.0, 1.0)
    task = make_task(frame, "diagnosis")
    assert "discharge_code" in task.X.columns
    assert any("'discharge_code' alone predicts the target" in w for w in task.warnings)
    assert not any("'bp'" in w for w in task.warnings)


def test_numbers_stored_as_text_become_numeric():
    frame = _frame().assign(bp=lambda f: f["bp"].round(1).astype(str))
    assert make_task(frame, "diagnosis").feature_types["bp"] == "numeric"


def test_dates_are_not_used_as_features():
    frame = _frame().assign(admitted=pd.date_range("2020-01-01", periods=60).astype(str))
    task = make_task(frame, "diagnosis")
    assert "admitted" not in task.X.columns
    assert any("dates" in n for n in task.notes)


@settings(max_examples=60, deadline=None)
@given(
    data_frames(
        [
            column("a", elements=st.floats(allow_nan=True, allow_infinity=False, width=32)),
            column("b", elements=st.sampled_from(["x", "y", None, ""])),
            column("label", elements=st.sampled_from(["p", "q", "r", None])),
        ]
    )
)
def test_any_table_gives_a_task_or_one_clear_error(frame):
    try:
        task = make_task(frame, "label")
    except MetamedError as error:
        assert "\n" not in str(error) and str(error).endswith((".", "?", ")."))
    else:
        assert task.n_rows == task.X.shape[0] == len(task.y)
        assert min(task.class_counts.values()) >= 2


def test_infinite_values_become_missing_with_a_note():
    frame = _frame()
    frame.loc[:2, "bp"] = np.inf
    task = make_task(frame, "diagnosis")
    assert task.X["bp"].isna().sum() == 3
    assert any("3 infinite values" in n for n in task.notes)


def test_a_leak_hidden_in_a_wide_table_is_still_found():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(80, 1500)), columns=[f"g{i}" for i in range(1500)])
    frame["y"] = rng.choice(["a", "b"], 80)
    frame["g777"] = np.where(frame["y"] == "a", 1.0, 0.0) + rng.normal(0, 0.01, 80)
    warnings = make_task(frame, "y").warnings
    assert len(warnings) == 1 and "'g777'" in warnings[0]


def test_none_in_a_csv_is_an_answer_not_a_missing_value(tmp_path):
    path = _write(tmp_path, "coma,age,label\nNone,50,a\nDeep,61,b\nNA,70,a\nNone,40,b\n")
    frame = read_table(path)
    assert frame["coma"].tolist()[:2] == ["None", "Deep"] and frame["coma"].isna().sum() == 1


def test_integer_column_names_are_used_as_text():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 2))).assign(y=["a", "b"] * 20)
    assert list(make_task(frame, "y").feature_types) == ["0", "1"]


# --- awkward files: each one read, or refused in one sentence ------------------------------


def test_a_number_too_large_for_float32_is_missing_with_a_note(tmp_path):
    frame = _frame()
    frame.loc[3, "bp"] = 1e39
    frame.to_csv(tmp_path / "data.csv", index=False)
    task = load_task(tmp_path / "data.csv", "diagnosis")
    assert np.isnan(task.X.loc[3, "bp"]) and task.X["bp"].notna().sum() == 59
    assert "1 values too large to compute with (beyond ±3.4e38) were treated as missing " \
        "(in bp)." in task.notes


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_a_file_of_one_column_is_read_as_one_column(tmp_path, suffix):
    path = _write(tmp_path, "diagnosis\n" + "yes\nno\n" * 15, name=f"data{suffix}")
    assert read_table(path).columns.tolist() == ["diagnosis"]
    with pytest.raises(MetamedError, match="^no usable feature column is left"):
        load_task(path, "diagnosis")


def test_a_txt_file_with_vertical_bars_is_read_without_a_note(tmp_path):
    frame = _frame()
    frame.to_csv(tmp_path / "data.txt", sep="|", index=False)
    task = load_task(tmp_path / "data.txt", "diagnosis")
    assert task.feature_types == {"age": "numeric", "sex": "categorical", "bp": "numeric"}
    assert task.notes == ["classification: 'diagnosis' has 2 classes."]


def test_a_truncated_excel_file_is_one_sentence(tmp_path):
    _frame().to_excel(tmp_path / "full.xlsx", index=False)
    path = tmp_path / "x.xlsx"
    path.write_bytes((tmp_path / "full.xlsx").read_bytes()[:2000])
    with pytest.raises(MetamedError) as caught:
        load_task(path, "diagnosis")
    assert str(caught.value) == f"'{path}' is not a readable Excel file (it may be truncated " \
        "or corrupt)."


def test_a_semicolon_csv_is_read_and_the_delimiter_noted(tmp_path):
    _frame().to_csv(tmp_path / "data.csv", sep=";", index=False)
    task = load_task(tmp_path / "data.csv", "diagnosis")
    assert task.feature_types == {"age": "numeric", "sex": "categorical", "bp": "numeric"}
    assert task.notes == ["'data.csv' is separated by semicolons, not commas, and was read "
                          "that way.", "classification: 'diagnosis' has 2 classes."]


def test_a_semicolon_csv_whose_names_hold_commas_is_read_by_its_rows(tmp_path):
    text = "weight (kg, measured);sex;diagnosis\n" + "70;F;yes\n81;M;no\n" * 15
    assert read_table(_write(tmp_path, text)).columns.tolist() == [
        "weight (kg, measured)", "sex", "diagnosis"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_file_with_a_byte_order_mark_is_read_in_its_encoding(tmp_path, encoding):
    text = "name,age,diagnosis\n" + "".join(f"José,{50 + i},yes\nAnaïs,{61 + i},no\n"
                                             for i in range(15))
    data = text.encode(encoding)
    if encoding == "utf-16-be":  # Python writes the mark only for the native-order codec
        data = b"\xfe\xff" + data
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    task = load_task(path, "diagnosis")
    assert task.X["name"].iloc[0] == "José" and task.n_rows == 30
    assert task.notes[:-1] == ([] if encoding == "utf-8-sig" else [
        f"'data.csv' was read as {encoding[:6].upper()}, as its byte-order mark says."])


def test_an_unknown_encoding_name_is_one_sentence(tmp_path):
    with pytest.raises(MetamedError, match="^'latin-9x' is not an encoding Python knows"):
        read_table(_write(tmp_path, "a,b\n1,2\n"), encoding="latin-9x")


@pytest.mark.parametrize("text", ['[{"age": 50, "diagnosis": "yes"}]', '\ufeff\n  {"age": [50]}'])
def test_json_saved_as_csv_is_named_as_json(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(MetamedError) as caught:
        load_task(path, "diagnosis")
    assert str(caught.value) == f"file '{path}' looks like JSON, not a table; save it as csv " \
        "with a header row and one row per patient."


def test_a_header_in_brackets_is_not_taken_for_json(tmp_path):
    path = _write(tmp_path, "[Na+],[K+],label\n140,4.1,a\n135,3.9,b\n")
    assert read_table(path).columns.tolist() == ["[Na+]", "[K+]", "label"]


def test_a_header_without_data_rows_says_so(tmp_path):
    path = _write(tmp_path, "age,bp,diagnosis\n")
    with pytest.raises(MetamedError) as caught:
        load_task(path, "diagnosis")
    assert str(caught.value) == f"file '{path}' has column names but no data rows."
    with pytest.raises(MetamedError, match=r"^the table has column names but no data rows\.$"):
        make_task(_frame().iloc[:0], "diagnosis")


# --- target labels -------------------------------------------------------------------------


def test_target_labels_lose_surrounding_spaces_with_a_note():
    frame = _frame()
    frame.loc[:3, "diagnosis"] = ["yes ", " no", "yes", " yes "]
    task = make_task(frame, "diagnosis")
    assert task.classes == ["no", "yes"]
    assert "surrounding spaces were removed from 3 target label(s)." in task.notes


def test_target_labels_that_differ_only_by_case_stop():
    frame = _frame()
    frame.loc[:3, "diagnosis"] = "Yes"
    with pytest.raises(MetamedError) as caught:
        make_task(frame, "diagnosis")
    assert str(caught.value) == "target 'diagnosis' has labels that differ only by case " \
        "('Yes', 'yes'); make them consistent."


def test_a_whole_number_target_with_many_values_is_a_regression():
    frame = _frame().assign(age=lambda f: f["age"].astype(int))
    task = make_task(frame, "age")
    distinct = frame["age"].nunique()
    assert task.is_regression and task.classes == [] and task.positive_class is None
    assert task.notes[0] == f"regression: 'age' is a number with {distinct} distinct values."
    assert task.y.dtype == float and task.y.tolist() == frame["age"].astype(float).tolist()


def test_a_target_with_fractions_is_a_regression():
    frame = _frame().assign(bp=lambda f: f["bp"].round(1))
    task = make_task(frame, "bp")
    assert task.task_type == "regression"
    assert task.notes[0] == f"regression: 'bp' holds fractions such as {frame['bp'][0]:g}."


def test_fractions_cannot_be_forced_into_classes():
    with pytest.raises(MetamedError) as caught:
        make_task(_frame(), "bp", task_type="classification")
    assert str(caught.value) == "target column 'bp' looks continuous and cannot be classes " \
        f"(it holds fractions such as {_frame()['bp'][0]:g}); use --task regression or bin it " \
        "first."


def test_a_score_can_be_forced_to_be_a_regression():
    frame = _frame().assign(apgar=np.arange(60) % 11)
    task = make_task(frame, "apgar", task_type="regression")
    assert task.is_regression and task.notes[0] == "regression, as requested."
    assert not make_task(frame, "apgar").is_regression


def test_text_in_a_numeric_target_names_the_row():
    frame = _frame()
    frame["bp"] = frame["bp"].astype(object)
    frame.loc[4, "bp"] = "high"
    with pytest.raises(MetamedError) as caught:
        make_task(frame, "bp")
    assert str(caught.value) == "target column 'bp' holds numbers and text such as 'high' " \
        "(row 5); correct the text, or say --task classification if its values are class names."
    with pytest.raises(MetamedError, match=r"'bp' holds text such as 'high' \(row 5\); a "
                                           "regression target must hold numbers only"):
        make_task(frame, "bp", task_type="regression")


def test_numbers_read_as_text_make_a_regression_of_numbers():
    frame = _frame().assign(bp=lambda f: f["bp"].round(1).astype(str))
    task = make_task(frame, "bp")
    assert task.is_regression and task.y.dtype == float
    assert task.y.tolist() == frame["bp"].astype(float).tolist()


def test_a_regression_needs_twenty_rows():
    with pytest.raises(MetamedError) as caught:
        make_task(_frame(n=19), "bp")
    assert str(caught.value) == "target column 'bp' has 19 rows with a value; a regression " \
        "needs at least 20."
    assert make_task(_frame(n=20), "bp").n_rows == 20


def test_a_column_computed_from_a_numeric_target_is_flagged_as_a_leak():
    frame = _frame().assign(bp_mmhg_x10=lambda f: f["bp"] * 10 + 3)
    warnings = make_task(frame, "bp").warnings
    assert warnings == ["column 'bp_mmhg_x10' alone explains 100% of the target's variance; "
                        "check that it is not recorded after the outcome (a leak)."]
    assert make_task(_frame(), "bp").warnings == []


def test_an_unknown_task_type_is_refused():
    with pytest.raises(MetamedError, match="task type 'ordinal' is not one of auto, "
                                           "classification, regression"):
        make_task(_frame(), "diagnosis", task_type="ordinal")
    with pytest.raises(MetamedError, match="needs its event column"):
        make_task(_frame(), "diagnosis", task_type="survival")


def test_a_clinical_score_stays_a_set_of_classes():
    frame = _frame().assign(apgar=np.arange(60) % 11)
    assert sorted(make_task(frame, "apgar").class_counts) == list(range(11))


def test_an_infinite_target_is_dropped_like_a_missing_one():
    frame = _frame().assign(code=np.arange(60) % 2 * 1.0)
    frame.loc[:1, "code"] = np.inf
    task = make_task(frame, "code")
    assert task.n_rows == 58 and "2 rows with a missing or infinite target were dropped." in \
        task.notes


# --- new rows at prediction time -----------------------------------------------------------

TYPES = {"age": "numeric", "sex": "categorical", "bp": "numeric"}


def _new_rows():
    return pd.DataFrame({
        "age": [50, np.nan, 61, np.nan],
        "sex": ["F", np.nan, "M", np.nan],
        "bp": ["120", "high", "n/a?", np.nan],
    })


def test_new_rows_count_text_read_as_missing_and_rows_without_features():
    rows, notes = conform_features(_new_rows(), TYPES)
    assert rows["bp"].tolist()[0] == 120 and rows["bp"].isna().sum() == 3
    assert notes == [
        "column 'bp': 2 text value(s) read as missing (e.g. 'high').",
        "every feature is missing in 2 data rows (2, 4); the prediction there is that of a "
        "typical training patient, as every value is imputed.",
    ]


def test_new_rows_in_strict_mode_refuse_text_in_a_numeric_column():
    with pytest.raises(MetamedError, match=r"^column 'bp' has 2 text value\(s\) where the model "
                                           r"expects numbers \(e.g. 'high'\)"):
        conform_features(_new_rows(), TYPES, strict=True)


def test_new_rows_in_strict_mode_refuse_a_row_without_features():
    rows = _new_rows().assign(bp=[120.0, 130.0, 140.0, np.nan])
    with pytest.raises(MetamedError, match=r"^every feature is missing in data row 4; "):
        conform_features(rows, TYPES, strict=True)
    assert conform_features(rows.iloc[:3], TYPES, strict=True)[1] == []


# --- exports from real systems (issue 21) --------------------------------------------------


@pytest.mark.parametrize(("name", "sep"), [("data.csv", ";"), ("data.tsv", "\t")])
def test_decimal_commas_are_read_as_numbers_and_said(tmp_path, name, sep):
    frame = _frame().astype({"age": int}).assign(bp=lambda f: f["bp"].round(1),
                                                 chol=np.linspace(3.15, 7.5, 60))
    frame.to_csv(tmp_path / name, sep=sep, decimal=",", index=False)
    task = load_task(tmp_path / name, "diagnosis")
    assert task.feature_types["bp"] == task.feature_types["chol"] == "numeric"
    np.testing.assert_allclose(task.X["bp"], frame["bp"])
    assert f"'{name}' writes decimals with a comma (e.g. " \
        f"'{str(frame['bp'][0]).replace('.', ',')}') in 2 column(s), read as numbers: bp, " \
        "chol." in task.notes


def test_commas_among_words_or_in_a_comma_file_stay_text(tmp_path):
    words = "stage;age;diagnosis\n" + "1,2;50;yes\nearly;61;no\n" * 15
    assert read_table(_write(tmp_path, words))["stage"].tolist()[:2] == ["1,2", "early"]
    quoted = 'bp,age,diagnosis\n"113,5",50,yes\n"120,0",61,no\n'
    assert read_table(_write(tmp_path, quoted, name="q.csv"))["bp"].tolist() == ["113,5", "120,0"]


def test_numbers_with_one_unit_become_numbers_with_a_note():
    frame = _frame().assign(dose=[f"{d} mg" if i % 3 else str(d)
                                  for i, d in enumerate(np.arange(60) % 4 * 5 + 5)])
    task = make_task(frame, "diagnosis")
    assert task.feature_types["dose"] == "numeric" and task.X["dose"][1] == 10.0
    assert task.units == {"dose": "mg"}
    assert "column 'dose' was read as numbers in 'mg', the unit written after 40 of its 60 " \
        "values." in task.notes


def test_numbers_with_several_units_stay_categories_with_a_warning():
    frame = _frame().assign(dose=["5 mg", "0.5 g", "12 mg"] * 20)
    task = make_task(frame, "diagnosis")
    assert task.feature_types["dose"] == "categorical" and task.units == {}
    assert "column 'dose' holds numbers with different units ('g', 'mg'); it is used as " \
        "categories: put it in one unit to use it as a number." in task.warnings


@pytest.mark.parametrize("codes", [["1", "3+"], ["01", "7p"], ["1_yes", "0_no"], ["120/80"]])
def test_codes_that_start_with_a_number_are_not_units(codes):
    frame = _frame().assign(code=(codes * 60)[:60])
    task = make_task(frame, "diagnosis")
    assert task.units == {} and not task.warnings
    assert task.feature_types.get("code", "constant") != "numeric"


def test_a_mostly_missing_column_is_named_with_how_it_was_handled():
    frame = _frame().assign(troponin=[0.1] + [np.nan] * 58 + [0.3])
    task = make_task(frame, "diagnosis")
    assert "troponin" in task.X.columns
    assert "mostly missing (in at least 80% of rows): 'troponin' (96%); it is kept, and each " \
        "pipeline imputes the missing values." in task.notes


def _workbook(path):
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"exported": ["2024-05-01"]}).to_excel(book, sheet_name="Cover", index=False)
        _frame().to_excel(book, sheet_name="Patients", index=False)
    return path


def test_a_workbook_whose_first_sheet_is_not_the_data_names_its_sheets(tmp_path):
    path = _workbook(tmp_path / "export.xlsx")
    with pytest.raises(MetamedError) as caught:
        load_task(path, "diagnosis")
    assert str(caught.value) == "sheet 'Cover' of 'export.xlsx' has no column 'diagnosis'; the " \
        "workbook's sheets are 'Cover' (0), 'Patients' (1): choose one with --sheet NAME or INDEX."
    assert load_task(path, "diagnosis", sheet="Patients").n_rows == 60
    assert load_task(path, "diagnosis", sheet="1").n_rows == 60
    with pytest.raises(MetamedError, match=r"^'export.xlsx' has no sheet '2'; its sheets are "
                                           r"'Cover' \(0\), 'Patients' \(1\)"):
        load_task(path, "diagnosis", sheet="2")


def test_reading_the_first_of_several_sheets_is_said(tmp_path):
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as book:
        _frame().to_excel(book, sheet_name="Patients", index=False)
        pd.DataFrame({"n": [60]}).to_excel(book, sheet_name="Counts", index=False)
    assert load_task(path, "diagnosis").notes[0] == "'export.xlsx' has 2 sheets ('Patients' " \
        "(0), 'Counts' (1)); the first, 'Patients', was read (--sheet chooses another)."


def test_exact_copies_of_rows_are_counted_and_kept_together():
    frame = _frame()
    doubled = pd.concat([frame, frame.assign(record=range(60, 120))], ignore_index=True)
    task = load_task(doubled.assign(record=range(120)), "diagnosis")
    assert task.warnings == ["60 row(s) are exact copies of another row (every feature and the "
                             "target); each set of copies is kept in one CV fold, so that no "
                             "row is tested on its own copy."]
    assert (task.group_labels[:60] == task.group_labels[60:]).all()
    assert load_task(frame, "diagnosis").duplicates is None
    assert make_task(doubled, "diagnosis").duplicates is None  # corpus tables keep their folds


def test_a_class_made_of_copies_of_one_row_is_refused():
    frame = _frame()
    frame.loc[[5, 6]] = [[50.0, "F", 120.0, "rare"]] * 2
    with pytest.raises(MetamedError) as caught:
        load_task(frame, "diagnosis")
    assert str(caught.value) == "class 'rare' of 'diagnosis' has only copies of 1 row; every " \
        "class needs at least 2 different rows (remove the copies, or merge or remove the class)."


def test_copies_shared_by_two_patients_join_their_groups():
    frame = _frame().assign(patient=np.arange(60) // 2)
    copied = pd.concat([frame, frame.head(4).assign(patient=[90, 90, 91, 91])])
    task = load_task(copied, "diagnosis", group_column="patient")
    assert task.warnings == ["4 row(s) are exact copies of another row (every feature and the "
                             "target); 'patient' groups that share copies were joined (32 groups "
                             "became 30), so that no row is tested on its own copy."]
    assert task.group_labels.tolist() == [str(p) for p in np.arange(60) // 2] + ["0"] * 2 + \
        ["1"] * 2


def test_copies_within_one_patient_keep_the_patients_groups():
    frame = _frame().assign(patient=np.arange(60))
    copied = pd.concat([frame, frame.head(3)], ignore_index=True)
    task = load_task(copied, "diagnosis", group_column="patient")
    assert task.warnings[0].endswith("each set lies within one 'patient' group, which keeps it "
                                     "in one CV fold.")
    assert task.group_labels.tolist() == task.groups.astype(str).tolist()


def test_new_rows_name_category_values_unseen_in_training():
    rows = pd.DataFrame({"age": [50, 61, 70], "sex": ["1", "0", "F"], "bp": [120, 130, 140]})
    _, notes = conform_features(rows, TYPES, categories={"sex": ["F", "M"]})
    assert notes == ["column 'sex': 2 value(s) never seen in training ('1', '0'; training had "
                     "'F', 'M'), treated as an unknown category."]
    with pytest.raises(MetamedError, match=r"^column 'sex' has 2 value\(s\) never seen in "
                                           r"training \('1', '0'; training had 'F', 'M'\); "):
        conform_features(rows, TYPES, strict=True, categories={"sex": ["F", "M"]})


def test_new_rows_lose_the_training_unit_and_no_other():
    rows = pd.DataFrame({"age": [50, 61, 70], "sex": ["F", "M", "F"],
                         "bp": ["120 mmHg", "130", "14 kPa"]})
    conformed, notes = conform_features(rows, TYPES, units={"bp": "mmHg"})
    assert conformed["bp"].tolist()[:2] == [120, 130] and np.isnan(conformed["bp"][2])
    assert notes == ["column 'bp': the unit 'mmHg' was removed from 1 value(s), as in training.",
                     "column 'bp': 1 text value(s) read as missing (e.g. '14 kPa')."]


def test_new_rows_mostly_missing_in_a_column_are_said():
    rows = pd.DataFrame({"age": [50, 61, 70, 44, 58], "sex": ["F", "M", "F", "M", "F"],
                         "bp": [np.nan] * 5})
    assert conform_features(rows, TYPES)[1] == [
        "mostly missing (in at least 80% of rows): 'bp' (100%); it is imputed by the model, as "
        "in training."]
