"""The exact object types a metamed model file may contain, derived from the search space.

skops rebuilds an object by looking its type up by name and, for some
nodes, *calling* it with arguments read from the file; a type it is told to
trust is therefore code the file can run. skops itself trusts every
scikit-learn estimator by default (``FunctionTransformer`` included, which
holds a function). metamed does not rely on that: it reads the file's
``schema.json`` itself and accepts a node only when it is plain data of
the one type its loader is meant for (:data:`DATA_TYPES`: containers,
strings and numbers, numpy arrays, scalars and dtypes) or an object of a
class on the allow-list (``trusted_types.json``). The allow-list holds every
class, scikit-learn's included, that a fitted pipeline of the space (each
model family, each preprocessing variant, binary, multiclass and
regression), an ensemble of them, a recalibrated one or a regression's
conformal wrapper contains. It is derived by saving those pipelines and
reading their schemas (:func:`derive`), stored beside this module, and a
test checks that the stored list is what the space derives today. No
function, builtin or method is ever on it: each entry must import as a class.

Regenerate after changing the space or upgrading scikit-learn, LightGBM,
XGBoost, interpret or MAPIE: ``python -m metamed.automl.trusted_types``.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import warnings
import zipfile
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from metamed.automl.calibration import Recalibrated
from metamed.automl.conformal import ConformalRegressor
from metamed.automl.ensemble import WeightedEnsemble, WeightedRegressor
from metamed.data.validation import make_task
from metamed.space import SPACE, named_config, pipeline_for_task
from metamed.space.families import families_for

ALLOW_LIST = Path(__file__).with_name("trusted_types.json")

_NUMBERS = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
            "float16", "float32", "float64", "str_")
#: Loaders that rebuild plain data, and the only types each may carry, whatever the allow-list.
DATA_TYPES: dict[str, frozenset[str]] = {
    "DictNode": frozenset({"builtins.dict"}),
    "DefaultDictNode": frozenset({"collections.defaultdict"}),
    "ListNode": frozenset({"builtins.list"}),
    "TupleNode": frozenset({"builtins.tuple"}),
    "SliceNode": frozenset({"builtins.slice"}),
    "JsonNode": frozenset({f"builtins.{name}"
                           for name in ("str", "int", "float", "bool", "NoneType")}),
    "BytearrayNode": frozenset({"builtins.bytearray"}),
    "DTypeNode": frozenset({"numpy.dtype"}),
    "NdArrayNode": frozenset({"numpy.ndarray", *(f"numpy.{name}" for name in _NUMBERS)}),
}
#: Loaders that rebuild an instance of a class: only classes on the allow-list.
OBJECT_LOADERS = frozenset({"ObjectNode", "TreeNode", "LossNode", "RandomStateNode",
                            "RandomGeneratorNode"})
#: A loader that returns a class itself (a dtype or container given as a parameter).
_TYPE_LOADER = "TypeNode"
_ANY_DATA_TYPE = frozenset().union(*DATA_TYPES.values())


def derive() -> list[str]:
    """Every class in a fitted model of the space that is not plain data, sorted."""
    import skops.io as sio

    found: set[str] = set()
    for n_classes in (2, 3):
        task = _sample_task(n_classes)
        fitted = [_fit(config, task) for config in _configs("classification")]
        ensemble = WeightedEnsemble(fitted[:2], np.array([0.5, 0.5]))
        ensemble.classes_ = fitted[0].classes_
        recalibrated = Recalibrated(ensemble, 0.1, 0.9)
        recalibrated.classes_ = ensemble.classes_
        for model in [*fitted, ensemble, recalibrated]:
            content = {"model": model, "metadata": "{}", "oof_proba": np.zeros((2, n_classes)),
                       "oof_target": np.zeros(2, dtype=int)}
            found.update(_classes_in(sio.dumps(content)))
    regression = _sample_task(0)
    blend = WeightedRegressor([pipeline_for_task(named_config(name), regression)
                               for name in ("ridge_cv", "rf_reg")], np.array([0.5, 0.5]))
    patients = np.arange(len(regression.y)) // 3  # repeated measures: grouped CV+ refits
    conformal = [ConformalRegressor(blend).fit(regression.X, regression.target_values, groups=g)
                 for g in (None, patients)]
    for model in [*(_fit(c, regression) for c in _configs("regression")), *conformal]:
        found.update(_classes_in(sio.dumps({"model": model, "metadata": "{}"})))
    not_classes = sorted(name for name in found if not _is_class(name))
    if not_classes:
        raise TypeError(f"a fitted model holds callables, which are never trusted: {not_classes}")
    return sorted(found)


@lru_cache(maxsize=1)
def trusted_types() -> frozenset[str]:
    """The stored allow-list (read, not imported: :func:`refused_types` imports what a file
    uses, to check that it is a class)."""
    return frozenset(json.loads(ALLOW_LIST.read_text(encoding="utf-8")))


def loadable_types() -> list[str]:
    """What skops is told to trust: what :func:`refused_types` lets through (the allow-list and
    the data types). skops' own defaults never widen it: each file is checked first."""
    return sorted(trusted_types() | _ANY_DATA_TYPE)


def refused_types(schema: dict) -> list[str]:
    """What a skops ``schema.json`` holds beyond plain data and the allow-list, sorted.

    Each entry is a type name, followed by the loader when the type would be
    accepted from another loader (an array rebuilt by calling its class).
    """
    trusted = trusted_types()
    refused = set()
    for node in schema_nodes(schema):
        loader, name = _loader(node), type_name(node)
        if (name in DATA_TYPES.get(loader, ())
                or loader in OBJECT_LOADERS and name in trusted and _is_class(name)
                or loader == _TYPE_LOADER and (name in _ANY_DATA_TYPE
                                               or name in trusted and _is_class(name))):
            continue
        known = name in trusted | _ANY_DATA_TYPE
        refused.add(f"{name} rebuilt by {loader}" if known else name)
    return sorted(refused)


def schema_nodes(schema: object) -> Iterator[dict]:
    """Every node (a dict with a ``__loader__``) anywhere in a parsed ``schema.json``.

    Iterative, so a deeply nested file cannot exhaust the stack; it visits
    more than skops reads (every value of every dict), never less.
    """
    pending = [schema]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield item
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def type_name(node: dict) -> str:
    """``module.Class`` of a node (``?`` for a part that is not a string)."""
    parts = (node.get("__module__"), node.get("__class__"))
    return ".".join(part if isinstance(part, str) else "?" for part in parts)


def _loader(node: dict) -> str:
    loader = node["__loader__"]
    return loader if isinstance(loader, str) else "?"


def _classes_in(archive: bytes) -> set[str]:
    """The classes a saved archive rebuilds (object and type nodes not of a data type)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        schema = json.loads(opened.read("schema.json"))
    found = set()
    for node in schema_nodes(schema):
        loader, name = node["__loader__"], type_name(node)
        if loader in OBJECT_LOADERS or loader == _TYPE_LOADER and name not in _ANY_DATA_TYPE:
            found.add(name)
        elif loader != _TYPE_LOADER and name not in DATA_TYPES.get(loader, ()):
            raise TypeError(f"a fitted model holds {name} rebuilt by the skops loader {loader}, "
                            "which DATA_TYPES and OBJECT_LOADERS do not allow; add it only if "
                            "it rebuilds plain data or an allow-listed class")
    return found


def _configs(task_type: str) -> list[dict]:
    """Each family at its defaults (k-NN with both metrics), and the baseline behind each
    variant of each preprocessing step (logistic regression, or the tuned ridge)."""
    configs = [named_config(family) for family in families_for(task_type)]
    # k-NN's other metric (p=1) is stored as another class (ManhattanDistance64)
    configs += [{**config, "model": {**config["model"], "p": 1}}
                for config in configs if config["model"].get("p") == 2]
    baseline = "ridge_cv" if task_type == "regression" else "logreg"
    for step in ("impute", "encode", "scale", "select"):
        section = SPACE[step]
        configs += [{step: {section.selector: variant}, "model": baseline}
                    for variant in section.variants]
    return configs


def _sample_task(n_classes: int):
    """60 rows: two numeric columns and one categorical, each with missing values.

    ``n_classes`` = 0 makes the label a number (a regression).
    """
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                          "c": rng.choice(["x", "y", "z"], 60)})
    frame.loc[::7, "a"], frame.loc[::9, "c"] = np.nan, None
    frame["label"] = np.arange(60) % n_classes if n_classes else rng.normal(size=60)
    return make_task(frame, "label", name="trusted-types")


def _fit(config: dict, task):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipeline_for_task(config, task).fit(task.X, task.target_values)


@cache
def _is_class(name: str) -> bool:
    """Whether ``module.Name`` imports as a class (never a function, builtin or method)."""
    module, _, attribute = name.rpartition(".")
    try:
        return inspect.isclass(getattr(importlib.import_module(module), attribute))
    except (ImportError, AttributeError, ValueError):
        return False


if __name__ == "__main__":
    derived = derive()
    ALLOW_LIST.write_text(json.dumps(derived, indent=1) + "\n", encoding="utf-8")
    print(f"{len(derived)} types written to {ALLOW_LIST}")
