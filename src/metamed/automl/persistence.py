"""Saving and loading fitted models without pickle's arbitrary code execution.

A model file is a skops archive holding the fitted pipeline (or ensemble),
the honest out-of-fold probabilities and true classes of the training rows
(no features: enough to redraw ROC, calibration and decision curves), and a
JSON document with everything else: the metamed version, the training
schema, classes, honest metrics, leaderboard and recommendations. On load,
only object types from an allow-list of modules may be rebuilt; anything
else is refused with a clear message instead of being executed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd

from metamed import __version__
from metamed.errors import MetamedError
from metamed.automl.estimator import MetaClassifier
from metamed.evaluation.intervals import Interval
from metamed.learners import Recommendation

TRUSTED_MODULES = ("sklearn.", "numpy", "scipy.", "metamed.", "lightgbm.", "xgboost.",
                   "builtins.", "collections.OrderedDict")
FORMAT_VERSION = 1


def save_model(model: MetaClassifier, path: str | Path) -> Path:
    """Write a fitted :class:`MetaClassifier` to ``path`` (a .skops file)."""
    import skops.io as sio

    metadata = {
        "format_version": FORMAT_VERSION,
        "metamed_version": __version__,
        "params": model.get_params(),
        "classes": [_plain(c) for c in model.classes_],
        "feature_types": model.feature_types_,
        "cv_results": {k: dataclasses.asdict(v) for k, v in model.cv_results_.items()},
        "leaderboard": model.leaderboard_.to_dict(orient="records"),
        "recommendations": [dataclasses.asdict(r) for r in model.recommendations_],
        "best_config": model.best_config_,
        "ensemble": model.ensemble_,
        "task_summary": model.task_summary_,
        "fit_seconds": model.fit_seconds_,
        "notes": model.notes_,
    }
    path = Path(path)
    content = {"model": model.model_, "metadata": json.dumps(metadata, default=str),
               "oof_proba": model.oof_proba_, "oof_target": model.oof_target_}
    sio.dump(content, path)
    return path


def load_model(path: str | Path) -> MetaClassifier:
    """Read a model written by :func:`save_model`, refusing untrusted object types."""
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise MetamedError(f"model file '{path}' does not exist.")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:
        raise MetamedError(f"'{path}' is not a metamed model file ({error}).") from error
    unsafe = [t for t in untrusted if not t.startswith(TRUSTED_MODULES)]
    if unsafe:
        raise MetamedError(f"model file '{path}' contains types metamed does not trust: "
                           f"{', '.join(unsafe[:5])}; it was not loaded.")
    content = sio.load(path, trusted=untrusted)
    model = _restore(content["model"], json.loads(content["metadata"]))
    model.oof_proba_, model.oof_target_ = content["oof_proba"], content["oof_target"]
    return model


def _restore(fitted, metadata: dict) -> MetaClassifier:
    if metadata.get("format_version") != FORMAT_VERSION:
        raise MetamedError("this model file was written by an incompatible metamed version "
                           f"({metadata.get('metamed_version')}); refit it.")
    model = MetaClassifier(**metadata["params"])
    model.model_ = fitted
    model.classes_ = pd.Series(metadata["classes"], dtype=object).to_numpy()
    model.feature_types_ = metadata["feature_types"]
    model.n_features_in_ = len(model.feature_types_)
    model.cv_results_ = {k: Interval(**v) for k, v in metadata["cv_results"].items()}
    model.leaderboard_ = pd.DataFrame(metadata["leaderboard"])
    model.recommendations_ = [Recommendation(**r) for r in metadata["recommendations"]]
    model.best_config_ = metadata["best_config"]
    model.ensemble_ = [tuple(m) for m in metadata["ensemble"]]
    model.task_summary_ = metadata["task_summary"]
    model.fit_seconds_ = metadata["fit_seconds"]
    model.notes_ = metadata["notes"]
    model.metamed_version_ = metadata["metamed_version"]
    return model


def _plain(value: object) -> object:
    """A class label as a JSON value (numpy scalars become Python numbers)."""
    return value.item() if hasattr(value, "item") else value
