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

from metamed.space.build import build_pipeline, pipeline_for_task
from metamed.space.config import Config, canonical_config, config_hash, config_name, validate_config
from metamed.space.portfolio import (
    default_portfolio,
    list_named_configs,
    named_config,
    sample_config,
)
from metamed.space.schema import FAMILIES, SPACE, SPACE_VERSION

__all__ = [
    "FAMILIES",
    "SPACE",
    "SPACE_VERSION",
    "Config",
    "build_pipeline",
    "canonical_config",
    "config_hash",
    "config_name",
    "default_portfolio",
    "list_named_configs",
    "named_config",
    "pipeline_for_task",
    "sample_config",
    "validate_config",
]
