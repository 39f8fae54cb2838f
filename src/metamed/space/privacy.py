"""Which pipelines keep patient values inside the fitted model.

A model file is often shared more widely than the data. Most fitted
components keep only summaries (coefficients, split thresholds, category
levels), but some keep training values themselves: a k-NN imputer or
classifier stores the training rows, an RBF support vector machine its
support vectors (training rows), a quantile scaler each column's training
quantiles. Two checks, so each can catch the other's mistake:

* :func:`config_keeps_rows` — before fitting: does any component of the
  config's pipeline declare ``keeps_training_rows``? (``fit --shareable``
  searches only configs for which it is False.)
* :func:`stored_training_values` — after fitting: which fitted objects hold
  an attribute that is training data (``_fit_X``, ``support_vectors_``,
  ``quantiles_``)? This is what the model file is checked with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sklearn.base import BaseEstimator

from metamed.space.build import build_pipeline

#: Fitted attributes of scikit-learn objects that hold training values.
ROW_ATTRIBUTES = ("_fit_X", "support_vectors_", "quantiles_")


def config_keeps_rows(config: Mapping) -> bool:
    """Whether the pipeline a config builds declares a component that stores training values."""
    pipeline = build_pipeline(config, ["numeric"], ["categorical"])
    return any(getattr(part, "keeps_training_rows", False) for part in _objects(pipeline))


def stored_training_values(model: BaseEstimator) -> list[str]:
    """Class names of the fitted objects in ``model`` that hold training values."""
    return sorted({type(part).__name__ for part in _objects(model)
                   if any(hasattr(part, name) for name in ROW_ATTRIBUTES)})


def _objects(root: object) -> Iterator[object]:
    """Every scikit-learn or metamed object reachable from ``root`` through attributes.

    Attributes, not parameters, so fitted sub-models are reached too (the
    SVC inside a calibrated classifier, each member of an ensemble).
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif type(item).__module__.startswith(_OWNERS) and hasattr(item, "__dict__"):
            yield item
            stack.extend(vars(item).values())


_OWNERS = ("sklearn.", "metamed.")
