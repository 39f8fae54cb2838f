"""The exact object types a metamed model file may contain, derived from the search space.

skops rebuilds an object by looking its type up by name and, for some
nodes, *calling* it with arguments read from the file; a type it is told to
trust is therefore code the file can run. metamed trusts only the types its
own model files hold: every class that a fitted pipeline of the space (each
model family, each preprocessing variant, binary, multiclass and
regression), an ensemble of them, a recalibrated one or a regression's
conformal wrapper contains, beyond what
skops trusts by default. The list is
derived by fitting those pipelines and asking skops what it found
(:func:`derive`), stored beside this module (``trusted_types.json``), and a
test checks that the stored list is what the space derives today. No
function, builtin or method is ever on it: each entry must import as a class.

Regenerate after changing the space or upgrading scikit-learn, LightGBM or
XGBoost: ``python -m metamed.automl.trusted_types``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import warnings
from functools import lru_cache
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


def derive() -> list[str]:
    """Every type skops does not trust by default in a fitted model of the space, sorted."""
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
            found.update(sio.get_untrusted_types(data=sio.dumps(content)))
    regression = _sample_task(0)
    blend = WeightedRegressor([pipeline_for_task(named_config(name), regression)
                               for name in ("ridge_cv", "rf_reg")], np.array([0.5, 0.5]))
    patients = np.arange(len(regression.y)) // 3  # repeated measures: grouped CV+ refits
    conformal = [ConformalRegressor(blend).fit(regression.X, regression.target_values, groups=g)
                 for g in (None, patients)]
    for model in [*(_fit(c, regression) for c in _configs("regression")), *conformal]:
        content = {"model": model, "metadata": "{}"}
        found.update(sio.get_untrusted_types(data=sio.dumps(content)))
    not_classes = sorted(name for name in found if not _is_class(name))
    if not_classes:
        raise TypeError(f"a fitted model holds callables, which are never trusted: {not_classes}")
    return sorted(found)


@lru_cache(maxsize=1)
def trusted_types() -> frozenset[str]:
    """The stored allow-list; an entry that is not a class is dropped, never trusted."""
    names = json.loads(ALLOW_LIST.read_text(encoding="utf-8"))
    return frozenset(name for name in names if _is_class(name))


def _configs(task_type: str) -> list[dict]:
    """Each family at its defaults, and the baseline behind each variant of each
    preprocessing step (logistic regression, or the tuned ridge)."""
    configs = [named_config(family) for family in families_for(task_type)]
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
