"""Deriving the allow-list of model files: every class a fitted model of the space holds.

A maintainer's tool, kept apart from :mod:`metamed.automl.trusted_types`
(which checks files against the stored list) because it fits every family
of the space: loading a model never imports it. Run
``python -m metamed.automl.allow_list`` after changing the space, and
commit ``trusted_types.json``; a test fails while the two disagree.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile

import numpy as np
import pandas as pd

from metamed.automl.calibration import Recalibrated
from metamed.automl.conformal import ConformalRegressor
from metamed.automl.ensemble import WeightedEnsemble, WeightedRegressor
from metamed.automl.trusted_types import (
    ALLOW_LIST,
    ANY_DATA_TYPE,
    DATA_TYPES,
    OBJECT_LOADERS,
    TYPE_LOADER,
    is_class,
    schema_nodes,
    type_name,
)
from metamed.data.validation import make_task
from metamed.kinds import kind_of
from metamed.space import SPACE, named_config, pipeline_for_task
from metamed.space.families import families_for
from metamed.survival.calibration import RecalibratedSurvival
from metamed.survival.estimator import WeightedSurvival


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
            content = {"model": model, "metadata": "{}",
                       "oof_predictions": np.zeros((2, n_classes)),
                       "oof_target": np.zeros(2, dtype=int)}
            found.update(_classes_in(sio.dumps(content)))
    regression = _sample_task(0)
    blend = WeightedRegressor([pipeline_for_task(named_config(name), regression)
                               for name in ("ridge_cv", "rf_reg")], np.array([0.5, 0.5]))
    patients = np.arange(len(regression.y)) // 3  # repeated measures: grouped CV+ refits
    conformal = [ConformalRegressor(blend).fit(regression.X, regression.target_values, groups=g)
                 for g in (None, patients)]
    molecular = _fit(named_config("ridge_cv"), _sample_task(0, molecules=True))
    for model in [*(_fit(c, regression) for c in _configs("regression")), *conformal,
                  molecular]:
        found.update(_classes_in(sio.dumps({"model": model, "metadata": "{}"})))
    survival = _sample_task(0, survival=True)
    fitted = [_fit(named_config(name), survival) for name in families_for("survival")]
    blend = WeightedSurvival(fitted[:2], np.array([0.5, 0.5])).fit(survival.X,
                                                                   survival.target_values)
    recalibrated = [RecalibratedSurvival(m, 1.3).fit(survival.X, survival.target_values)
                    for m in (fitted[0], blend)]
    for model in [*fitted, blend, *recalibrated]:
        found.update(_classes_in(sio.dumps({"model": model, "metadata": "{}"})))
    not_classes = sorted(name for name in found if not is_class(name))
    if not_classes:
        raise TypeError(f"a fitted model holds callables, which are never trusted: {not_classes}")
    return sorted(found)


def _classes_in(archive: bytes) -> set[str]:
    """The classes a saved archive rebuilds (object and type nodes not of a data type)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        schema = json.loads(opened.read("schema.json"))
    found = set()
    for node in schema_nodes(schema):
        loader, name = node["__loader__"], type_name(node)
        if loader in OBJECT_LOADERS or loader == TYPE_LOADER and name not in ANY_DATA_TYPE:
            found.add(name)
        elif loader != TYPE_LOADER and name not in DATA_TYPES.get(loader, ()):
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
    baseline = kind_of(task_type).baseline
    for step in ("impute", "encode", "scale", "select"):
        section = SPACE[step]
        configs += [{step: {section.selector: variant}, "model": baseline}
                    for variant in section.variants]
    return configs


def _sample_task(n_classes: int, survival: bool = False, molecules: bool = False):
    """60 rows: two numeric columns and one categorical, each with missing values.

    ``n_classes`` = 0 makes the label a number (a regression); ``survival`` makes it a
    follow-up time with an event indicator; ``molecules`` adds a column of SMILES.
    """
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                          "c": rng.choice(["x", "y", "z"], 60)})
    if molecules:
        frame["smiles"] = [f"CC(=O)N{'C' * k}c1ccccc1" for k in range(60)]
    frame.loc[::7, "a"], frame.loc[::9, "c"] = np.nan, None
    frame["label"] = np.arange(60) % n_classes if n_classes else rng.normal(size=60)
    if survival:
        frame["label"], frame["event"] = rng.exponential(size=60) + 0.01, np.arange(60) % 3 > 0
        return make_task(frame, "label", event="event", name="trusted-types")
    return make_task(frame, "label", name="trusted-types")


def _fit(config: dict, task):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipeline_for_task(config, task).fit(task.X, task.target_values)


if __name__ == "__main__":
    derived = derive()
    ALLOW_LIST.write_text(json.dumps(derived, indent=1) + "\n", encoding="utf-8")
    print(f"{len(derived)} types written to {ALLOW_LIST}")
