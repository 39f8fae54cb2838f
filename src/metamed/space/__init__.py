"""The pipeline search space: configs, their pipelines, and the default portfolio.

A *pipeline config* is a JSON-able dict with one dict per step::

    {
        "impute": {"numeric": "median", "categorical": "most_frequent", "indicators": True},
        "encode": {"method": "onehot", "min_frequency": 0.02, "max_categories": 20},
        "scale": {"method": "standard"},
        "select": {"method": "none"},
        "model": {"name": "logreg", "penalty": "l2", "C": 1.0, "class_weight": None},
    }

Steps and parameters left out take their defaults, so ``{"model": "rf"}`` is
a valid config. :mod:`metamed.space.schema` lists every variant and range.

>>> from metamed.space import build_pipeline, config_hash, config_name, named_config
>>> config = named_config("logreg")
>>> config_name(config)
'logreg_l2-C1-std'
>>> pipe = build_pipeline(config, numeric_columns=["age"], categorical_columns=["sex"])
"""

from metamed.lazy import lazy_attributes

# Imported on first use (metamed.lazy): a model file names classes of
# metamed.space.components, and loading it should not build the whole space.
_HOMES = {name: f"metamed.space.{module}" for name, module in {
    "build_pipeline": "build", "pipeline_for_task": "build",
    "Config": "config", "canonical_config": "config", "config_hash": "config",
    "config_name": "config", "validate_config": "config",
    "default_portfolio": "portfolio", "list_named_configs": "portfolio",
    "named_config": "portfolio", "sample_config": "portfolio",
    "FAMILIES": "schema", "SPACE": "schema", "SPACE_VERSION": "schema",
}.items()}
__getattr__ = lazy_attributes(__name__, _HOMES)
__all__ = sorted(_HOMES)
