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

import json
from pathlib import Path

from metamed import __version__
from metamed.automl.estimator import MetaClassifier
from metamed.automl.state import BINARY_FIELDS, FittedState
from metamed.errors import MetamedError

TRUSTED_MODULES = ("sklearn.", "numpy", "scipy.", "metamed.", "lightgbm.", "xgboost.",
                   "builtins.", "collections.OrderedDict")
#: Version 2: the whole fitted state in one document (version 1 kept fields one by one).
FORMAT_VERSION = 2


def save_model(model: MetaClassifier, path: str | Path) -> Path:
    """Write a fitted :class:`MetaClassifier` to ``path`` (a .skops file)."""
    import skops.io as sio

    state = model.state_
    document = {"format_version": FORMAT_VERSION, "metamed_version": __version__,
                "params": model.get_params(), "state": state.document()}
    content = {name: getattr(state, name) for name in BINARY_FIELDS}
    content["metadata"] = json.dumps(document, default=str)
    path = Path(path)
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
    document = json.loads(content["metadata"])
    if document.get("format_version") != FORMAT_VERSION:
        raise MetamedError("this model file was written by an incompatible metamed version "
                           f"({document.get('metamed_version')}); refit it.")
    state = FittedState.from_document(document["state"],
                                      **{name: content[name] for name in BINARY_FIELDS})
    model = MetaClassifier(**document["params"])._set_state(state)
    model.metamed_version_ = document["metamed_version"]
    return model
