"""A model file never runs code: crafted files are refused in one sentence, and nothing runs.

Each crafted file is first shown to be real: skops itself, told to trust the
types it finds (what metamed's old prefix filter did), runs it and leaves
the marker. Then metamed refuses it and the marker is absent.
"""

import itertools
import json
import pickle
import zipfile
from contextlib import nullcontext
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from metamed.automl.estimator import MetaClassifier
from metamed.automl.persistence import load_model, save_model
from metamed.automl.state import FittedState
from metamed.automl.trusted_types import ALLOW_LIST, derive, trusted_types
from metamed.errors import MetamedError
from metamed.space import named_config, pipeline_for_task
from metamed.space.families import families_for
from metamed.space.privacy import config_keeps_rows, stored_training_values

_ids = itertools.count(1)  # skops rebuilds a node id once and reuses it: every node its own


def _str(value: object) -> dict:
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True, "__id__": next(_ids)}


def _list(items: list) -> dict:
    return {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
            "content": items, "__id__": next(_ids)}


def _call(module: str, name: str, *args: dict) -> dict:
    """A node that skops rebuilds by calling ``module.name(*args)``."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": {"__class__": "tuple", "__module__": "builtins",
                        "__loader__": "TupleNode", "content": list(args), "__id__": next(_ids)},
            "__id__": next(_ids)}


def _archive(path, metadata_node: dict) -> None:
    """A skops archive shaped like a metamed model file whose metadata is ``metadata_node``."""
    schema = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
              "content": {"metadata": metadata_node},
              "key_types": _list([{"__class__": "str", "__module__": "builtins",
                                   "__loader__": "TypeNode", "__id__": next(_ids)}]),
              "__id__": next(_ids), "protocol": 2, "_skops_version": version("skops")}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))


CALLS = {
    "exec": lambda m: _call("builtins", "exec", _str(f"open({str(m)!r}, 'w').write('x')")),
    "eval": lambda m: _call("builtins", "eval", _str(f"open({str(m)!r}, 'w').write('x')")),
    "os.system": lambda m: _call("os", "system", _str(f"touch '{m}'")),
    "subprocess.Popen": lambda m: _call("subprocess", "Popen",
                                        _list([_str("touch"), _str(str(m))])),
    "metamed.cli.main": lambda m: _call("metamed.cli", "main", _list(
        [_str("corpus"), _str("export"), _str("mass_birthwt"), _str(f"{m}.csv")])),
    "sklearn function": lambda m: _call("sklearn.datasets", "get_data_home", _str(str(m))),
}


def _marker_exists(marker) -> bool:
    return marker.exists() or marker.with_name(marker.name + ".csv").exists()


@pytest.mark.parametrize("name", list(CALLS))
def test_a_file_that_calls_code_is_refused_and_runs_nothing(tmp_path, name, run_cli):
    marker, crafted = tmp_path / "marker", tmp_path / "crafted.skops"
    _archive(crafted, CALLS[name](marker))
    with pytest.raises(MetamedError, match="holds object types metamed never loads"):
        load_model(crafted)
    code, out, err = run_cli("predict", str(crafted), "examples/medical_data.csv",
                             "--out", str(tmp_path / "p.csv"))
    assert code == 2 and "nothing in it was run" in err and len(err.strip().splitlines()) == 1
    assert not _marker_exists(marker)
    if name == "subprocess.Popen":
        return  # skops would start the process; proven by the others' markers
    found = sio.get_untrusted_types(file=crafted)
    try:  # the file is a real attack: trusting what skops found runs it
        sio.load(crafted, trusted=found)
    except (SystemExit, Exception):
        pass
    assert _marker_exists(marker)


class _Payload:
    """What a pickle would run on load: touch a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _pickle_file(path, marker) -> None:
    path.write_bytes(pickle.dumps(_Payload(marker)))


def _zip_with_pickle(path, marker) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.pkl", pickle.dumps(_Payload(marker)))


def _other_skops_estimator(path, marker) -> None:
    X = np.arange(20.0).reshape(10, 2)
    sio.dump(LogisticRegression().fit(X, np.arange(10) % 2), path)


def _other_skops_dict(path, marker) -> None:
    sio.dump({"metadata": "{}", "model": [1, 2], "oof_proba": None, "oof_target": None}, path)


@pytest.mark.parametrize("make", [_pickle_file, _zip_with_pickle, _other_skops_estimator,
                                  _other_skops_dict])
def test_a_file_metamed_did_not_write_is_refused_in_one_sentence(tmp_path, make, run_cli):
    marker, path = tmp_path / "marker", tmp_path / "model.skops"
    make(path, marker)
    with pytest.raises(MetamedError, match="is not a metamed model file"):
        load_model(path)
    code, _, err = run_cli("predict", str(path), "examples/medical_data.csv",
                           "--out", str(tmp_path / "p.csv"))
    assert code == 2 and "is not a metamed model file" in err
    assert len(err.strip().splitlines()) == 1 and not marker.exists()


def test_a_truncated_model_file_is_refused(tmp_path, saved_model):
    path = tmp_path / "cut.skops"
    data = saved_model.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MetamedError, match="is not a metamed model file"):
        load_model(path)


@pytest.fixture(scope="module")
def saved_model(tiny_kb, tmp_path_factory):
    from conftest import synthetic_task

    task = synthetic_task("files", n=90, p=3, signal=2, seed=4)
    model = MetaClassifier(kb=tiny_kb, time_budget=5, n_candidates=3, outer_splits=0)
    return save_model(model.fit(task.X, task.y), tmp_path_factory.mktemp("m") / "m.skops")


def test_the_allow_list_is_what_the_space_derives_today_and_holds_only_classes():
    stored = json.loads(ALLOW_LIST.read_text())
    assert derive() == stored  # every family and preprocessing variant, binary and multiclass
    assert trusted_types() == frozenset(stored)  # each entry imports as a class
    assert not {"builtins.exec", "builtins.eval", "os.system", "subprocess.Popen"} & set(stored)


@pytest.mark.parametrize("family", families_for("classification"))
def test_every_model_family_saves_and_loads_with_the_allow_list(tmp_path, family, synthetic):
    task = synthetic("family", n=80, p=3, signal=2, seed=1)
    pipeline = pipeline_for_task(named_config(family), task).fit(task.X, task.codes)
    state = FittedState(
        model=pipeline, classes=np.asarray(task.classes), positive_index=task.positive_index,
        input_columns=list(task.X.columns), named_input=True,
        feature_types=dict(task.feature_types), cv_results={}, baseline_comparison={},
        oof_proba=None,
        oof_target=task.codes, leaderboard=pd.DataFrame(), recommendations=[],
        best_config=named_config(family), ensemble=[(family, 1.0)],
        task_summary=task.summary(), notes=[], fit_seconds=0.0)
    model = MetaClassifier()._set_state(state)
    loaded = load_model(save_model(model, tmp_path / "m.skops"))
    np.testing.assert_allclose(loaded.predict_proba(task.X), model.predict_proba(task.X))
    expected = {"knn": ["KNeighborsClassifier"], "svm_rbf": ["SVC"]}.get(family, [])
    assert loaded.state_.training_values == expected  # read from the loaded model itself
    with pytest.raises(MetamedError, match="shareable") if expected else nullcontext():
        save_model(MetaClassifier(shareable=True)._set_state(state), tmp_path / "s.skops")


def test_what_a_config_declares_is_what_its_fitted_model_stores():
    from metamed.automl.trusted_types import _configs, _fit, _sample_task

    for task_type, n_classes in (("classification", 2), ("regression", 0)):
        task = _sample_task(n_classes)
        for config in _configs(task_type):  # every family and every preprocessing variant
            fitted = _fit(config, task)
            assert config_keeps_rows(config) == bool(stored_training_values(fitted)), config
