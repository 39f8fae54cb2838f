"""Saving and loading fitted models: a model file never runs code.

A model file is a skops archive holding the fitted pipeline (or ensemble),
the honest out-of-fold probabilities and true classes of the training rows
(no features: enough to redraw ROC, calibration and decision curves), and a
JSON document with everything else (:class:`~metamed.automl.state.FittedState`).

Trust model: before anything is rebuilt, every object type in the file is
compared with an exact allow-list derived from the search space
(:mod:`metamed.automl.trusted_types`); a file holding any other type, any
function, or anything that is not a skops archive written by metamed is
refused in one sentence and nothing in it is executed.
"""

from __future__ import annotations

import json
from pathlib import Path

from sklearn.pipeline import Pipeline

from metamed import __version__
from metamed.automl.calibration import Recalibrated
from metamed.automl.conformal import ConformalRegressor
from metamed.automl.ensemble import WeightedEnsemble
from metamed.automl.estimator import MetaClassifier, MetaRegressor
from metamed.automl.state import BINARY_FIELDS, FittedState
from metamed.automl.trusted_types import trusted_types
from metamed.errors import MetamedError, one_line

#: Version 2: the whole fitted state in one document (version 1 kept fields one by one).
FORMAT_VERSION = 2
_CONTENT_KEYS = frozenset({*BINARY_FIELDS, "metadata"})


def save_model(model: MetaClassifier | MetaRegressor, path: str | Path) -> Path:
    """Write a fitted :class:`MetaClassifier` or :class:`MetaRegressor` to ``path`` (.skops).

    Raises
    ------
    MetamedError
        When a model fitted with ``shareable=True`` holds patient values
        (a guard: the search should never have chosen such a pipeline).
    """
    import skops.io as sio

    state = model.state_
    if model.shareable and state.training_values:
        raise MetamedError(f"the model was fitted to be shareable but holds training values "
                           f"({', '.join(state.training_values)}); it was not saved.")
    document = {"format_version": FORMAT_VERSION, "metamed_version": __version__,
                "params": model.get_params(), "state": state.document()}
    content = {name: getattr(state, name) for name in BINARY_FIELDS}
    content["metadata"] = json.dumps(document, default=str)
    path = Path(path)
    sio.dump(content, path)
    return path


def load_model(path: str | Path) -> MetaClassifier | MetaRegressor:
    """Read a model written by :func:`save_model`; refuse anything else without running it."""
    path = Path(path)
    if not path.is_file():
        raise MetamedError(f"model file '{path}' does not exist.")
    content = _load_trusted(path)
    document = _document(content, path)
    try:
        state = FittedState.from_document(document["state"],
                                          **{name: content[name] for name in BINARY_FIELDS})
        kind = MetaRegressor if state.task_type == "regression" else MetaClassifier
        model = kind(**document["params"])._set_state(state)
    except (KeyError, TypeError, ValueError) as error:
        raise _not_a_model(path, "its metadata is not metamed's") from error
    model.metamed_version_ = document["metamed_version"]
    return model


def _load_trusted(path: Path) -> dict:
    """The archive's top-level dict, rebuilt only if every type in it is on the allow-list."""
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(file=path)
    except Exception as error:  # not a zip, no schema, truncated, unknown protocol, ...
        raise _not_a_model(path, error) from error
    refused = sorted(set(found) - trusted_types())
    if refused:
        raise MetamedError(f"model file '{path}' holds object types metamed never loads "
                           f"({', '.join(refused[:5])}); nothing in it was run.")
    try:
        content = sio.load(path, trusted=found)
    except Exception as error:
        raise _not_a_model(path, error) from error
    if not isinstance(content, dict) or set(content) != _CONTENT_KEYS:
        raise _not_a_model(path, "its contents are not a metamed model's")
    if not isinstance(content["model"],
                      Pipeline | WeightedEnsemble | Recalibrated | ConformalRegressor):
        raise _not_a_model(path, "it holds no metamed pipeline")
    return content


def _document(content: dict, path: Path) -> dict:
    """The JSON document, checked for the format this metamed writes."""
    try:
        document = json.loads(content["metadata"])
        version = document["format_version"]
    except (TypeError, KeyError, json.JSONDecodeError) as error:
        raise _not_a_model(path, "its metadata is not metamed's") from error
    if version != FORMAT_VERSION:
        raise MetamedError(f"model file '{path}' was written by an incompatible metamed version "
                           f"({document.get('metamed_version')}); refit it.")
    return document


def _not_a_model(path: Path, reason: object) -> MetamedError:
    why = one_line(reason) if isinstance(reason, BaseException) else reason
    return MetamedError(f"'{path}' is not a metamed model file ({why}).")
