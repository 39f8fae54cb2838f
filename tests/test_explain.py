"""Per-patient explanations and global importance: exact on a model whose answer is known."""

import json

import numpy as np
import pandas as pd
import pytest

from metamed.automl.estimator import MetaClassifier
from metamed.automl.persistence import load_model, save_model
from metamed.report.explain import explain_rows, partial_dependence, permutation_importance


class AdditiveModel:
    """P(class 1) = 0.5 + 0.1 * age_z (clipped), no other feature used: answers are known."""

    task_type = "classification"

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = np.clip(0.5 + 0.1 * X["age_z"].to_numpy(dtype=float), 0, 1)
        return np.column_stack([1 - p, p])


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"age_z": rng.normal(size=60).clip(-3, 3),
                         "ward": rng.choice(["a", "b"], 60)})


def test_contribution_is_the_change_against_the_background(frame):
    background = frame.iloc[10:40]
    result = explain_rows(AdditiveModel(), frame.iloc[[3]], background, class_index=1)
    by_feature = result.set_index("feature")["contribution"]
    expected = 0.1 * (frame["age_z"].iloc[3] - background["age_z"].mean())
    assert by_feature["age_z"] == pytest.approx(expected)
    assert by_feature["ward"] == pytest.approx(0.0)  # the model ignores it


def test_permutation_importance_ranks_the_used_feature_first(frame):
    codes = (frame["age_z"] + np.random.default_rng(1).normal(0, 0.5, 60) > 0).astype(int)
    table = permutation_importance(AdditiveModel(), frame, codes.to_numpy(), positive=1)
    assert table["feature"].tolist() == ["age_z", "ward"]
    assert table["importance"].iloc[0] > 0.1
    assert table["importance"].iloc[1] == pytest.approx(0.0)


def test_partial_dependence_follows_the_model(frame):
    result = partial_dependence(AdditiveModel(), frame, "age_z", "numeric", n_points=5)
    expected = 0.5 + 0.1 * np.asarray(result.grid, dtype=float)
    np.testing.assert_allclose(result.mean_proba[:, 1], expected)


@pytest.fixture(scope="module")
def saved_model(tiny_kb, tmp_path_factory, synthetic):
    task = synthetic("explain", n=100, p=3, signal=3, seed=5)
    model = MetaClassifier(kb=tiny_kb, time_budget=3, outer_splits=0, ensemble=False)
    folder = tmp_path_factory.mktemp("explain")
    data = task.X.assign(y=task.y)
    data.to_csv(folder / "patients.csv", index=False)
    return save_model(model.fit_task(task), folder / "model.skops"), folder / "patients.csv"



def test_explain_json_names_the_drivers_of_one_patient(saved_model, run_cli):
    model_path, data = saved_model
    code, out, _ = run_cli("explain", str(model_path), str(data), "--row", "4", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["row"] == 4
    assert result["explained_class"] == load_model(model_path).task_summary_["positive_class"]
    assert sum(result["probabilities"].values()) == pytest.approx(1.0)
    assert 0 < result["background_mean_probability"] < 1
    features = [c["feature"] for c in result["contributions"]]
    assert set(features) == {"x0", "x1", "x2", "ward"}
    magnitudes = [abs(c["contribution"]) for c in result["contributions"]]
    assert magnitudes == sorted(magnitudes, reverse=True)


def test_explain_table_and_a_row_outside_the_table(saved_model, run_cli):
    model_path, data = saved_model
    code, out, _ = run_cli("explain", str(model_path), str(data), "--row", "0")
    assert code == 0
    assert "contribution" in out and "P(" in out
    code, _, err = run_cli("explain", str(model_path), str(data), "--row", "500")
    assert code == 2
    assert "outside the table" in err
