"""The search space as data: every step, every variant, every range.

A pipeline config has one dict per step, in this order: ``impute``,
``encode``, ``scale``, ``select``, ``model``. The key named by a step's
selector (``numeric``, ``method`` or ``name``) picks the variant; the other
keys are that variant's parameters. Defaults are the libraries' own defaults
(except where the comments say why not), so ``{"model": {"name": "rf"}}``
means scikit-learn's random forest as shipped.

Ranges are the sampling ranges of the default portfolio: wide enough to
matter, narrow enough that no sample is absurd on a 40-row table or slow on a
20,000-row one.
"""

from __future__ import annotations

from metamed.space.params import Choice, Domain, Float, Int, Section

_CLASS_WEIGHT = Choice((None, "balanced"), None)
_FOREST_CLASS_WEIGHT = Choice((None, "balanced", "balanced_subsample"), None)
_SELECT_FRACTION = Float(0.05, 0.9, 0.5)

# Rare levels (under 2% of rows) and levels beyond the 20 most frequent are
# grouped: medical codes with hundreds of levels must not explode the width.
_RARE_LEVELS: dict[str, Domain] = {
    "min_frequency": Float(0.005, 0.1, 0.02, log=True),
    "max_categories": Int(4, 50, 20, log=True),
}


def _forest(bootstrap: bool) -> dict[str, Domain]:
    return {
        "n_estimators": Int(50, 300, 100, log=True),
        "max_features": Choice(("sqrt", "log2", 0.1, 0.25, 0.5, 1.0), "sqrt"),
        "min_samples_leaf": Int(1, 20, 1, log=True),
        "max_depth": Choice((None, 4, 8, 16), None),
        "criterion": Choice(("gini", "entropy"), "gini"),
        "bootstrap": Choice((True, False), bootstrap),
        "class_weight": _FOREST_CLASS_WEIGHT,
    }


MODELS: dict[str, dict[str, Domain]] = {
    "logreg": {
        "penalty": Choice(("l2", "l1", "elasticnet"), "l2"),
        "C": Float(1e-3, 1e3, 1.0, log=True),
        "l1_ratio": Float(0.05, 0.95, 0.5, when=("penalty", ("elasticnet",))),
        "class_weight": _CLASS_WEIGHT,
    },
    "svm_linear": {"C": Float(1e-3, 1e2, 1.0, log=True), "class_weight": _CLASS_WEIGHT},
    # gamma is a multiple of scikit-learn's "scale" value, so one range suits
    # 5 features and 15,000 alike.
    "svm_rbf": {
        "C": Float(1e-2, 1e3, 1.0, log=True),
        "gamma": Float(1e-2, 1e1, 1.0, log=True),
        "class_weight": _CLASS_WEIGHT,
    },
    "knn": {
        "n_neighbors": Int(1, 50, 5, log=True),
        "weights": Choice(("uniform", "distance"), "uniform"),
        "p": Choice((2, 1), 2),
    },
    "gnb": {"var_smoothing": Float(1e-11, 1e-1, 1e-9, log=True)},
    "tree": {
        "max_depth": Choice((None, 2, 3, 4, 6, 8, 12), None),
        "min_samples_leaf": Int(1, 30, 1, log=True),
        "criterion": Choice(("gini", "entropy"), "gini"),
        "class_weight": _CLASS_WEIGHT,
    },
    "rf": _forest(bootstrap=True),
    "et": _forest(bootstrap=False),
    "hgb": {
        "learning_rate": Float(0.01, 0.3, 0.1, log=True),
        "max_iter": Int(50, 500, 100, log=True),
        "max_leaf_nodes": Int(4, 64, 31, log=True),
        "min_samples_leaf": Int(2, 50, 20, log=True),
        "l2_regularization": Float(1e-6, 10.0, 0.0, log=True),
        "max_features": Float(0.3, 1.0, 1.0),
        "class_weight": _CLASS_WEIGHT,
    },
    "lgbm": {
        "n_estimators": Int(50, 500, 100, log=True),
        "learning_rate": Float(0.01, 0.3, 0.1, log=True),
        "num_leaves": Int(4, 64, 31, log=True),
        "min_child_samples": Int(2, 50, 20, log=True),
        "subsample": Float(0.5, 1.0, 1.0),
        "colsample_bytree": Float(0.3, 1.0, 1.0),
        "reg_lambda": Float(1e-6, 10.0, 0.0, log=True),
        "class_weight": _CLASS_WEIGHT,
    },
    "xgb": {
        "n_estimators": Int(50, 500, 100, log=True),
        "learning_rate": Float(0.01, 0.3, 0.3, log=True),
        "max_depth": Int(2, 10, 6),
        "min_child_weight": Float(0.5, 10.0, 1.0, log=True),
        "subsample": Float(0.5, 1.0, 1.0),
        "colsample_bytree": Float(0.3, 1.0, 1.0),
        "reg_lambda": Float(1e-3, 10.0, 1.0, log=True),
        "reg_alpha": Float(1e-6, 1.0, 0.0, log=True),
    },
    # hidden_layer_sizes is a tuple; two integers keep the config JSON-flat.
    "mlp": {
        "hidden_units": Int(16, 256, 100, log=True),
        "hidden_layers": Int(1, 2, 1),
        "activation": Choice(("relu", "tanh"), "relu"),
        "alpha": Float(1e-6, 1e-1, 1e-4, log=True),
        "learning_rate_init": Float(1e-4, 1e-2, 1e-3, log=True),
    },
}

SPACE: dict[str, Section] = {
    "impute": Section(
        selector="numeric",
        variants={"median": {}, "mean": {}, "knn": {"neighbors": Int(2, 20, 5, log=True)}},
        default="median",
        common={
            "categorical": Choice(("most_frequent", "constant"), "most_frequent"),
            "indicators": Choice((True, False), True),
        },
    ),
    "encode": Section(
        selector="method",
        variants={"onehot": _RARE_LEVELS, "ordinal": _RARE_LEVELS, "target": {}},
        default="onehot",
    ),
    "scale": Section(
        selector="method",
        variants={"standard": {}, "robust": {}, "quantile": {}, "none": {}},
        default="standard",
    ),
    "select": Section(
        selector="method",
        variants={
            "none": {},
            "kbest": {"fraction": _SELECT_FRACTION},
            "l1": {"C": Float(0.01, 10.0, 1.0, log=True)},
            "trees": {"fraction": _SELECT_FRACTION},
        },
        default="none",
    ),
    "model": Section(selector="name", variants=MODELS, default="logreg"),
}

FAMILIES: tuple[str, ...] = tuple(MODELS)
