"""A model file never runs code: crafted files are refused in one sentence, and nothing runs.

Each crafted file is first shown to be real: skops itself, told to trust the
types it finds (what metamed's old prefix filter did), runs it and leaves
the marker. Then metamed refuses it and the marker is absent.
"""

import io
import itertools
import json
import pickle
import struct
import subprocess
import sys
import zipfile
from contextlib import nullcontext
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from metamed.automl.allow_list import derive
from metamed.automl.estimator import MetaClassifier
from metamed.automl.persistence import load_model, save_model
from metamed.automl.state import FittedState
from metamed.automl.trusted_types import ALLOW_LIST, schema_nodes, trusted_types
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
    sio.dump({"metadata": "{}", "model": [1, 2], "oof_predictions": None, "oof_target": None}, path)


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


def _state(family: str, task) -> FittedState:
    """What a fit choosing ``family`` (at its defaults) on ``task`` would save."""
    pipeline = pipeline_for_task(named_config(family), task).fit(task.X, task.codes)
    return FittedState(
        model=pipeline, classes=np.asarray(task.classes), positive_index=task.positive_index,
        input_columns=list(task.X.columns), named_input=True,
        feature_types=dict(task.feature_types), cv_results={}, baseline_comparison={},
        oof_predictions=None,
        oof_target=task.codes, leaderboard=pd.DataFrame(), recommendations=[],
        best_config=named_config(family), ensemble=[(family, 1.0)],
        task_summary=task.summary(), notes=[], fit_seconds=0.0, task_type="classification")


@pytest.mark.parametrize("family", families_for("classification"))
def test_every_model_family_saves_and_loads_with_the_allow_list(tmp_path, family, synthetic):
    task = synthetic("family", n=80, p=3, signal=2, seed=1)
    state = _state(family, task)
    model = MetaClassifier()._set_state(state)
    loaded = load_model(save_model(model, tmp_path / "m.skops"))
    np.testing.assert_allclose(loaded.predict_proba(task.X), model.predict_proba(task.X))
    expected = {"knn": ["KNeighborsClassifier"], "svm_rbf": ["SVC"], "svc_rbf": ["SVC"]}.get(
        family, [])
    assert loaded.state_.training_values == expected  # read from the loaded model itself
    with pytest.raises(MetamedError, match="shareable") if expected else nullcontext():
        save_model(MetaClassifier(shareable=True)._set_state(state), tmp_path / "s.skops")


def test_what_a_config_declares_is_what_its_fitted_model_stores():
    from metamed.automl.allow_list import _configs, _fit, _sample_task

    for task_type, n_classes in (("classification", 2), ("regression", 0)):
        task = _sample_task(n_classes)
        for config in _configs(task_type):  # every family and every preprocessing variant
            fitted = _fit(config, task)
            assert config_keeps_rows(config) == bool(stored_training_values(fitted)), config


# Genuine files, and files crafted from them: each keeps everything else genuine.

@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    """Plain logistic regression and a decision tree saved by metamed, and data to predict."""
    from conftest import synthetic_task

    task = synthetic_task("genuine", n=80, p=3, signal=2, seed=1)
    folder = tmp_path_factory.mktemp("genuine")
    task.X.to_csv(folder / "patients.csv", index=False)
    for family in ("logreg", "tree"):
        save_model(MetaClassifier()._set_state(_state(family, task)), folder / f"{family}.skops")
    return folder


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members: dict, packed: frozenset = frozenset()):
    """An archive of ``members`` (bytes, or an iterator of chunks written one by one), stored
    as skops stores them unless named in ``packed`` (then deflated)."""
    with zipfile.ZipFile(path, "w", compresslevel=1) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if name in packed else zipfile.ZIP_STORED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in [data] if isinstance(data, bytes) else data:
                    member.write(chunk)
    return path


def _crafted(genuine, family: str, edit) -> dict:
    """A genuine file's members after ``edit(schema, members)``, less those no node names."""
    members = _members(genuine / f"{family}.skops")
    schema = json.loads(members["schema.json"])
    edit(schema, members)
    named = {n["file"] for n in schema_nodes(schema) if "file" in n}
    return {**{name: data for name, data in members.items() if name in named},
            "schema.json": json.dumps(schema).encode()}


def _node(schema: dict, class_name: str) -> dict:
    return next(n for n in schema_nodes(schema) if n["__class__"] == class_name)


def _attribute(schema: dict, class_name: str, name: str) -> dict:
    """The node of attribute ``name`` of the first object of class ``class_name``."""
    return _node(schema, class_name)["content"]["content"][name]


def _array(members: dict, node: dict) -> np.ndarray:
    return np.load(io.BytesIO(members[node["file"]]))


def _save_array(members: dict, node: dict, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    members[node["file"]] = buffer.getvalue()


def _predict(run_cli, model, genuine, tmp_path) -> tuple[int, str]:
    code, _, err = run_cli("predict", str(model), str(genuine / "patients.csv"),
                           "--out", str(tmp_path / "p.csv"))
    assert len(err.strip().splitlines()) == 1 and "internal error" not in err
    return code, " ".join(err.split())


def test_a_genuine_file_with_another_scikit_learn_class_is_refused_before_it_is_built(
    genuine, tmp_path, run_cli
):
    def swap(schema, members):  # skops trusts FunctionTransformer (a scikit-learn estimator)
        node = _node(schema, "LogisticRegression")
        node["__module__"] = "sklearn.preprocessing._function_transformer"
        node["__class__"] = "FunctionTransformer"

    members = _crafted(genuine, "logreg", swap)
    code, err = _predict(run_cli, _write(tmp_path / "m.skops", members), genuine, tmp_path)
    assert code == 2 and "holds object types metamed never loads" in err
    assert "sklearn.preprocessing._function_transformer.FunctionTransformer" in err


def _filled(head: bytes, size: int, byte: bytes = b"\0"):
    """``head``, then ``size`` bytes of ``byte``, in chunks of 1 MiB."""
    yield head
    for _ in range(size >> 20):
        yield byte * (1 << 20)


def _npy_header(n_values: int) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (n_values,)})
    return buffer.getvalue()


def _inflating_array(schema, members):
    """The coefficients: a member that inflates to 256 MiB."""
    name = _attribute(schema, "LogisticRegression", "coef_")["file"]
    members[name] = _filled(_npy_header(2**25), 2**28)
    return {name}


def _padded_schema(schema, members):
    """schema.json, padded with 256 MiB of spaces (still valid JSON)."""
    members["schema.json"] = _filled(json.dumps(schema).encode(), 2**28, b" ")
    return {"schema.json"}


def _one_member_read_8_times(schema, members):
    """Eight arrays read from one member of 32 MiB."""
    arrays = [n for n in schema_nodes(schema) if "file" in n][:8]
    for node in arrays:
        del members[node["file"]]
        node["file"] = arrays[0]["file"]
    members[arrays[0]["file"]] = _filled(_npy_header(2**22), 2**25)
    members["schema.json"] = json.dumps(schema).encode()
    return {arrays[0]["file"]}


@pytest.mark.parametrize("bomb", [_inflating_array, _padded_schema, _one_member_read_8_times])
def test_a_small_file_that_inflates_is_refused_before_anything_is_read(
    genuine, tmp_path, run_cli, bomb
):
    members = _members(genuine / "logreg.skops")
    schema = json.loads(members["schema.json"])
    crafted = _write(tmp_path / "m.skops", members, packed=frozenset(bomb(schema, members)))
    assert crafted.stat().st_size < 2**21  # at most 2 MiB on disk
    code, err = _predict(run_cli, crafted, genuine, tmp_path)
    assert code == 2 and "is not a metamed model file" in err and "is compressed" in err


def test_a_stored_member_read_twice_is_refused(genuine, tmp_path, run_cli):
    def share(schema, members):
        first, second = [n for n in schema_nodes(schema) if "file" in n][:2]
        del members[second["file"]]
        second["file"] = first["file"]

    members = _crafted(genuine, "logreg", share)
    code, err = _predict(run_cli, _write(tmp_path / "m.skops", members), genuine, tmp_path)
    assert code == 2 and "is read 2 times" in err


def test_sizes_are_checked_from_the_directory_before_reading(genuine, tmp_path, monkeypatch):
    from metamed.automl import persistence

    data = bytearray((genuine / "logreg.skops").read_bytes())
    entry = data.rindex(b"PK\x01\x02")  # the last member's record in the central directory
    data[entry + 20:entry + 28] = struct.pack("<II", 2**30, 2**30)  # declares 1 GiB stored
    (tmp_path / "liar.skops").write_bytes(bytes(data))
    with pytest.raises(MetamedError, match="members declare more data than the file holds"):
        load_model(tmp_path / "liar.skops")
    monkeypatch.setattr(persistence, "SCHEMA_LIMIT", 10_000)
    with pytest.raises(MetamedError, match="over the 10,000 bytes a metamed schema may take"):
        load_model(genuine / "logreg.skops")


@pytest.mark.parametrize("name", ["../outside.npy", "/etc/metamed.npy", "model.pkl"])
def test_a_member_no_metamed_file_has_is_refused(genuine, tmp_path, run_cli, name):
    marker = tmp_path / "marker"
    members = {**_members(genuine / "logreg.skops"), name: pickle.dumps(_Payload(marker))}
    code, err = _predict(run_cli, _write(tmp_path / "m.skops", members), genuine, tmp_path)
    assert code == 2 and f"holds a member named '{name}', which no metamed file has" in err
    assert not marker.exists() and not (tmp_path.parent / "outside.npy").exists()


def _state_of_another_model(schema, members):
    """The logistic regression carries the scaler's state."""
    _node(schema, "LogisticRegression")["content"] = _node(schema, "StandardScaler")["content"]


def _coefficients_of_the_wrong_shape(schema, members):
    node = _attribute(schema, "LogisticRegression", "coef_")
    _save_array(members, node, _array(members, node)[:, :1])


def _a_regression_by_its_metadata(schema, members):
    """The metadata says regression; the file holds a classification pipeline."""
    node = schema["content"]["metadata"]
    document = json.loads(json.loads(node["content"]))
    document["state"]["task_type"] = "regression"
    del document["params"]["positive_class"]  # as a MetaRegressor's
    node["content"] = json.dumps(json.dumps(document))


@pytest.mark.parametrize(("edit", "reason"), [
    (_state_of_another_model, "AttributeError"),
    (_coefficients_of_the_wrong_shape, "ValueError"),
    (_a_regression_by_its_metadata, "a Pipeline cannot make a regression model"),
])
def test_allowed_types_with_the_wrong_content_are_refused(
    genuine, tmp_path, run_cli, edit, reason
):
    members = _crafted(genuine, "logreg", edit)
    code, err = _predict(run_cli, _write(tmp_path / "m.skops", members), genuine, tmp_path)
    assert code == 2 and "is not a usable metamed model file" in err and reason in err


@pytest.mark.parametrize(("field", "value"), [("left_child", 10**6), ("feature", 99),
                                              ("right_child", 0)])
def test_a_tree_that_points_outside_itself_is_refused_before_it_predicts(
    genuine, tmp_path, field, value
):
    def corrupt(schema, members):  # scikit-learn would follow it without bounds checks
        node = _attribute(schema, "Tree", "nodes")
        nodes = _array(members, node)
        nodes[field][0] = value
        _save_array(members, node, nodes)

    members = _crafted(genuine, "tree", corrupt)
    with pytest.raises(MetamedError, match="a decision tree of its DecisionTreeClassifier "
                                           "points outside itself"):
        load_model(_write(tmp_path / "m.skops", members))


def test_loading_a_model_imports_neither_torch_nor_every_scikit_learn_estimator(genuine):
    code = ("import sys; from metamed.cli import main; "
            f"main(['predict', {str(genuine / 'logreg.skops')!r}, "
            f"{str(genuine / 'patients.csv')!r}, '--out', {str(genuine / 'p.csv')!r}]); "
            "print(sorted(m for m in ('torch', 'dask', 'sklearn.gaussian_process', "
            "'sqlalchemy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
