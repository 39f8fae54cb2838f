"""Whether a model read from a file can be used: its kind, its trees, one trial prediction.

The allow-list decides which classes a model file may rebuild, not what
they hold: a pipeline node can carry another model's state, an array can
have the wrong shape. Such a file would fail on its first prediction, deep
inside scikit-learn. Trees are worse: scikit-learn follows the child and
feature indices stored in a decision tree, a gradient-boosting predictor or
a k-d tree without bounds checks, so a crafted index crashes the process
(the reason skops does not trust these types by default). Loading therefore
checks, in this order, that the model is of the kind its metadata claims,
that every tree's indices stay inside the tree and the model's features,
and that one prediction on a row in the model's own schema works.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from metamed.automl.conformal import ConformalRegressor
from metamed.automl.state import FittedState
from metamed.errors import MetamedError, one_line
from metamed.kinds import kind_of

TREE_LEAF = -1  # scikit-learn's marker for "no child" (sklearn.tree._tree.TREE_LEAF)


def check_usable(model, path: Path) -> None:
    """Raise :class:`MetamedError` unless ``model`` (just loaded from ``path``) can predict."""
    state = model.state_
    try:  # each check reads content the file chose; any failure is the file's
        problem = (_kind_problem(state) or _tree_problem(state.model)
                   or _trial_problem(model, state))
    except Exception as error:
        problem = one_line(error)
    if problem:
        raise MetamedError(f"'{path}' is not a usable metamed model file ({problem}).")


def _kind_problem(state: FittedState) -> str | None:
    """Whether the estimator, the classes and the stored arrays agree with the task type."""
    regression = state.task_type == "regression"
    if regression != isinstance(state.model, ConformalRegressor):
        return f"a {type(state.model).__name__} cannot make a {state.task_type} model"
    if kind_of(state.task_type).has_classes and len(state.classes) < 2:
        return "a classification model needs at least 2 classes"
    if not state.feature_types or not set(state.feature_types) <= set(state.input_columns):
        return "its features are not among its input columns"
    oof, target = state.oof_predictions, np.asarray(state.oof_target)
    horizons = len(state.task_summary.get("horizons", ()))
    widths = {"regression": [(), (1,)], "survival": [(1 + horizons,)]}.get(
        state.task_type, [(len(state.classes),)])  # a column per class
    if oof is not None and (np.shape(oof)[:1] != target.shape[:1]
                            or np.shape(oof)[1:] not in widths):
        return f"its out-of-fold predictions have shape {np.shape(oof)}"
    return None


def _tree_problem(model) -> str | None:
    """The first tree whose stored indices would send a prediction outside it, if any."""
    tree_class = _loaded("sklearn.tree._tree", "Tree")
    predictor_class = _loaded("sklearn.ensemble._hist_gradient_boosting.predictor",
                              "TreePredictor")
    kd_tree_class = _loaded("sklearn.neighbors._kd_tree", "KDTree")
    for owner in _fitted_parts(model):
        width = getattr(owner, "n_features_in_", None)
        tree = getattr(owner, "tree_", None)
        if isinstance(tree, tree_class) and not _sound_tree(tree, width):
            return f"a decision tree of its {type(owner).__name__} points outside itself"
        for predictor in np.ravel(getattr(owner, "_predictors", [])):
            if isinstance(predictor, predictor_class) and not _sound_predictor(predictor, width):
                return f"a boosted tree of its {type(owner).__name__} points outside itself"
        index = getattr(owner, "_tree", None)
        if isinstance(index, kd_tree_class) and not _sound_kd_tree(index, width):
            return f"the k-d tree of its {type(owner).__name__} points outside itself"
    return None


def _loaded(module: str, name: str) -> type | tuple[()]:
    """The class if its module is imported, else a type nothing is an instance of.

    Loading a file that holds such an object imports its module first, so a
    module never imported means no object of it to check; importing it here
    would cost a small model's ``predict`` a tenth of a second.
    """
    found = sys.modules.get(module)
    return getattr(found, name) if found is not None else ()


def _fitted_parts(model) -> Iterator[object]:
    """Every object reachable from ``model`` through attributes, lists, tuples and dicts."""
    seen, pending = set(), [model]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            yield item
            pending.extend(vars(item).values())


def _sound_tree(tree, width: object) -> bool:
    """Children come after their parent and inside the tree; splits use existing features."""
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    return (tree.node_count > 0 and tree.n_features == width
            and _children_inside(left, right, left != TREE_LEAF)
            and bool(np.all((right == TREE_LEAF) == (left == TREE_LEAF)))
            and _inside(feature[left != TREE_LEAF], width))


def _sound_predictor(predictor, width: object) -> bool:
    """As :func:`_sound_tree`, for histogram gradient boosting (no categorical splits)."""
    nodes = predictor.nodes
    split = nodes["is_leaf"] == 0
    return (len(nodes) > 0 and not nodes["is_categorical"].any()
            and _children_inside(nodes["left"], nodes["right"], split)
            and _inside(nodes["feature_idx"][split], width))


def _sound_kd_tree(index, width: object) -> bool:
    """Rows are a permutation of the data; nodes span rows inside it; the tree is complete."""
    data, order, nodes, bounds, _, levels, count = index.__getstate__()[:7]
    data, order, nodes = np.asarray(data), np.asarray(order), np.asarray(nodes)
    n_rows, positions = len(data), np.arange(len(nodes))
    inner = nodes["is_leaf"] == 0
    return (data.ndim == 2 and data.shape[1] == width and len(nodes) == count == 2**levels - 1
            and np.array_equal(np.sort(order), np.arange(n_rows))
            and np.shape(bounds) == (2, count, width)
            and bool(np.all((0 <= nodes["idx_start"]) & (nodes["idx_start"] <= nodes["idx_end"])
                            & (nodes["idx_end"] <= n_rows)))
            and bool(np.all(2 * positions[inner] + 2 < count)))


def _children_inside(left: np.ndarray, right: np.ndarray, split: np.ndarray) -> bool:
    """Each split's children lie after it and inside the array: no cycle, no stray index."""
    here = np.arange(len(left))[split]
    return all(bool(np.all((child[split] > here) & (child[split] < len(left))))
               for child in (left, right))


def _inside(features: np.ndarray, width: object) -> bool:
    return isinstance(width, int | np.integer) and bool(np.all((features >= 0)
                                                               & (features < width)))


def _trial_problem(model, state: FittedState) -> str | None:
    """What is wrong with a prediction for one row (numbers 0, categories missing), if anything."""
    row = pd.DataFrame({column: [0.0 if kind == "numeric" else None]
                        for column, kind in state.feature_types.items()})
    if state.task_type == "survival":
        risk, survival = model.predict(row), model.predict_survival(row)
        sound = (risk.shape == (1,) and np.isfinite(risk).all()
                 and ((survival >= 0) & (survival <= 1)).all())
        return None if sound else "its trial prediction is not a risk with survival in [0, 1]"
    if state.task_type == "regression":
        value, bounds = model.predict(row), model.predict_interval(row)
        sound = value.shape == (1,) and np.isfinite(value).all() and bounds.shape == (1, 2)
        return None if sound else "its trial prediction is not one number with an interval"
    proba = model.predict_proba(row)
    if proba.shape != (1, len(state.classes)) or not np.isclose(proba.sum(), 1.0, atol=1e-3):
        return "its trial prediction is not one probability per class"
    return None
