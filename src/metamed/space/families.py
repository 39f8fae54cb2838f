"""Model families: one record each, everything the rest of metamed needs to know.

Classification and regression families live in one table: a config's model
name says which kind of task it serves (``rf`` classifies, ``rf_reg``
regresses), so a configuration can never be applied to the other kind.

A :class:`Family` holds a family's name, its hyper-parameter ranges (the
sampling ranges of the default portfolio; defaults are the library's), the
parameters that tell portfolio members apart in a short name, which scalings
and encodings the portfolio samples for it (a named config takes the first
scaling), and how to build the unfitted classifier. Adding a family is
adding one record to :data:`MODEL_FAMILIES`; the space, the portfolio,
config names and the model-file allow-list all read it from here.

Every classifier runs on one thread (parallelism happens one level up,
across tasks and folds) with a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier

from metamed.data.task import TaskType
from metamed.kinds import CLASSIFICATION, REGRESSION, SURVIVAL, Kind
from metamed.space.models import (
    CalibratedSVM,
    CappedKNN,
    EncodedLabels,
    InnerCVLogistic,
    KernelSVC,
    SingleThreaded,
    SizedEBM,
    SizedMLP,
    SmoothedGaussianNB,
)
from metamed.space.params import Choice, Domain, Float, Int, Scalar
from metamed.space.regressors import (
    CappedKNNRegressor,
    InnerCVRidge,
    KernelSVR,
    ScaledSVR,
    SingleThreadedRegressor,
    SizedEBMRegressor,
    SizedMLPRegressor,
    SplineRidge,
    standardized_target,
)
from metamed.space.splines import SplineLogistic

Params = dict[str, Scalar]
Builder = Callable[[Params, int], BaseEstimator]

#: Scalings sampled for models whose fit depends on the scale of the inputs.
SCALED = ("standard", "robust", "quantile")
#: For the others scaling changes nothing but the config's hash, so it stays "none".
UNSCALED = ("none",)
#: Ordinal codes are meaningful only as split points, so only trees sample them.
TREE_ENCODINGS = ("onehot", "ordinal", "target")


@dataclass(frozen=True)
class Family:
    """One model family of the search space.

    Attributes
    ----------
    name : str
        The config's ``model.name`` and the named baseline (``metamed evaluate --pipeline``).
    params : dict of str to Domain
        Hyper-parameters with their defaults and sampling ranges.
    build : callable
        ``build(params, seed)`` returns the unfitted classifier.
    label : tuple of (parameter, short label)
        Parameters shown in :func:`metamed.space.config_name`.
    scalings : tuple of str
        Scalings the portfolio samples; the first one is the named config's.
    encodings : tuple of str
        Categorical encodings the portfolio samples.
    generation : int
        1 for the families of the first knowledge base; later families are
        appended to the portfolio so that its first configs never change
        (:func:`metamed.space.default_portfolio`).
    tables : bool
        Whether the tabular portfolios sample it; False for a family added for
        fingerprints only, whose absolute kernel width suits raw bits, not
        scaled columns (:func:`metamed.space.portfolio.molecular_portfolio`).
    selects : bool
        Whether the portfolio samples a feature-selection step for it: the
        selectors score columns against a class or a number, not against a
        (time, event) outcome, so survival families select none (the
        elastic-net Cox model selects by its own penalty).
    task_type : {"classification", "regression", "survival"}
        The kind of task the family's models serve.
    """

    name: str
    params: dict[str, Domain]
    build: Builder
    label: tuple[tuple[str, str], ...]
    scalings: tuple[str, ...] = UNSCALED
    encodings: tuple[str, ...] = ("onehot", "target")
    generation: int = 1
    selects: bool = True
    tables: bool = True
    task_type: TaskType = field(kw_only=True)


_CLASSIFICATION = CLASSIFICATION.name
_CLASS_WEIGHT = Choice((None, "balanced"), None)


def _logreg(p: Params, seed: int) -> BaseEstimator:
    # scikit-learn 1.8 replaced `penalty` by `l1_ratio`; lbfgs is fastest for
    # L2, saga the only solver for L1 / elastic net with several classes.
    l1_ratio = {"l2": 0.0, "l1": 1.0}.get(p["penalty"], p.get("l1_ratio"))
    return LogisticRegression(C=p["C"], l1_ratio=l1_ratio,
                              solver="lbfgs" if l1_ratio == 0.0 else "saga",
                              class_weight=p["class_weight"], max_iter=1000, random_state=seed)


def _svm(kernel: str) -> Builder:
    return lambda p, seed: CalibratedSVM(kernel, **p, random_state=seed)


def _knn(p: Params, seed: int) -> BaseEstimator:
    return CappedKNN(**p)


def _gnb(p: Params, seed: int) -> BaseEstimator:
    return SmoothedGaussianNB(**p)


def _tree(p: Params, seed: int) -> BaseEstimator:
    return DecisionTreeClassifier(**p, random_state=seed)


def _forest(cls: type) -> Builder:
    return lambda p, seed: cls(**p, n_jobs=1, random_state=seed)


def _forest_params(bootstrap: bool) -> dict[str, Domain]:
    return {
        "n_estimators": Int(50, 300, 100, log=True),
        "max_features": Choice(("sqrt", "log2", 0.1, 0.25, 0.5, 1.0), "sqrt"),
        "min_samples_leaf": Int(1, 20, 1, log=True),
        "max_depth": Choice((None, 4, 8, 16), None),
        "criterion": Choice(("gini", "entropy"), "gini"),
        "bootstrap": Choice((True, False), bootstrap),
        "class_weight": Choice((None, "balanced", "balanced_subsample"), None),
    }


def _hgb(cls: type, wrap: type) -> Builder:
    # No early stopping: its stratified hold-out fails on a class of one row,
    # and without it cost depends on max_iter alone.
    return lambda p, seed: wrap(cls(**p, early_stopping=False, random_state=seed))


# LightGBM and XGBoost are imported when a pipeline is built, not with the space:
# loading a saved model and predicting never needs them unless the model holds one.


def _lgbm(name: str) -> Builder:
    def build(p: Params, seed: int) -> BaseEstimator:
        import lightgbm

        # Row subsampling in LightGBM only happens when subsample_freq > 0.
        return getattr(lightgbm, name)(**p, subsample_freq=int(p["subsample"] < 1), n_jobs=1,
                                       random_state=seed, verbose=-1)
    return build


def _xgb(p: Params, seed: int) -> BaseEstimator:
    return EncodedLabels(_xgb_reg(p, seed, "XGBClassifier"))


def _xgb_reg(p: Params, seed: int, name: str = "XGBRegressor") -> BaseEstimator:
    import xgboost

    return getattr(xgboost, name)(**p, tree_method="hist", n_jobs=1, random_state=seed,
                                  verbosity=0)


def _seeded(cls: type) -> Builder:
    return lambda p, seed: cls(**p, random_state=seed)


# Domains shared by a family's classifier and regressor (the classifier adds class_weight,
# last, so that sampling draws the shared ones in the same order).
_KNN: dict[str, Domain] = {
    "n_neighbors": Int(1, 50, 5, log=True),
    "weights": Choice(("uniform", "distance"), "uniform"),
    "p": Choice((2, 1), 2),
}
_HGB: dict[str, Domain] = {
    "learning_rate": Float(0.01, 0.3, 0.1, log=True),
    "max_iter": Int(50, 500, 100, log=True),
    "max_leaf_nodes": Int(4, 64, 31, log=True),
    "min_samples_leaf": Int(2, 50, 20, log=True),
    "l2_regularization": Float(1e-6, 10.0, 0.0, log=True),
    "max_features": Float(0.3, 1.0, 1.0),
}
_LGBM: dict[str, Domain] = {
    "n_estimators": Int(50, 500, 100, log=True),
    "learning_rate": Float(0.01, 0.3, 0.1, log=True),
    "num_leaves": Int(4, 64, 31, log=True),
    "min_child_samples": Int(2, 50, 20, log=True),
    "subsample": Float(0.5, 1.0, 1.0),
    "colsample_bytree": Float(0.3, 1.0, 1.0),
    "reg_lambda": Float(1e-6, 10.0, 0.0, log=True),
}
_XGB: dict[str, Domain] = {
    "n_estimators": Int(50, 500, 100, log=True),
    "learning_rate": Float(0.01, 0.3, 0.3, log=True),
    "max_depth": Int(2, 10, 6),
    "min_child_weight": Float(0.5, 10.0, 1.0, log=True),
    "subsample": Float(0.5, 1.0, 1.0),
    "colsample_bytree": Float(0.3, 1.0, 1.0),
    "reg_lambda": Float(1e-3, 10.0, 1.0, log=True),
    "reg_alpha": Float(1e-6, 1.0, 0.0, log=True),
}
# hidden_layer_sizes is a tuple; two integers keep the config JSON-flat.
_MLP: dict[str, Domain] = {
    "hidden_units": Int(16, 256, 100, log=True),
    "hidden_layers": Int(1, 2, 1),
    "activation": Choice(("relu", "tanh"), "relu"),
    "alpha": Float(1e-6, 1e-1, 1e-4, log=True),
    "learning_rate_init": Float(1e-4, 1e-2, 1e-3, log=True),
}
_EBM: dict[str, Domain] = {
    "outer_bags": Int(2, 8, 4),
    "interactions": Choice((0, 5, 10), 0),
    "learning_rate": Float(0.005, 0.05, 0.015, log=True),
}
_BOOSTING_LABELS = {"hgb": (("learning_rate", "lr"), ("max_iter", "it")),
                    "lgbm": (("n_estimators", "n"), ("learning_rate", "lr"), ("num_leaves", "nl")),
                    "xgb": (("n_estimators", "n"), ("learning_rate", "lr"), ("max_depth", "d"))}
_MLP_LABEL = (("hidden_units", "h"), ("hidden_layers", "x"), ("alpha", "a"))
_EBM_LABEL = (("outer_bags", "b"), ("interactions", "i"))
_KNN_LABEL = (("n_neighbors", "k"), ("weights", ""))

_FAMILIES = (
    Family("logreg", {
        "penalty": Choice(("l2", "l1", "elasticnet"), "l2"),
        "C": Float(1e-3, 1e3, 1.0, log=True),
        "l1_ratio": Float(0.05, 0.95, 0.5, when=("penalty", ("elasticnet",))),
        "class_weight": _CLASS_WEIGHT,
    }, _logreg, (("C", "C"), ("l1_ratio", "r")), SCALED,
           task_type=_CLASSIFICATION),
    Family("svm_linear", {"C": Float(1e-3, 1e2, 1.0, log=True), "class_weight": _CLASS_WEIGHT},
           _svm("linear"), (("C", "C"),), SCALED,
           task_type=_CLASSIFICATION),
    # gamma is a multiple of scikit-learn's "scale" value, so one range suits
    # 5 features and 15,000 alike.
    Family("svm_rbf", {
        "C": Float(1e-2, 1e3, 1.0, log=True),
        "gamma": Float(1e-2, 1e1, 1.0, log=True),
        "class_weight": _CLASS_WEIGHT,
    }, _svm("rbf"), (("C", "C"), ("gamma", "g")), SCALED,
           task_type=_CLASSIFICATION),
    Family("knn", _KNN, _knn, _KNN_LABEL, SCALED,
           task_type=_CLASSIFICATION),
    Family("gnb", {"var_smoothing": Float(1e-11, 1e-1, 1e-9, log=True)}, _gnb,
           (("var_smoothing", "vs"),), ("none", "quantile"),
           task_type=_CLASSIFICATION),
    Family("tree", {
        "max_depth": Choice((None, 2, 3, 4, 6, 8, 12), None),
        "min_samples_leaf": Int(1, 30, 1, log=True),
        "criterion": Choice(("gini", "entropy"), "gini"),
        "class_weight": _CLASS_WEIGHT,
    }, _tree, (("max_depth", "d"), ("min_samples_leaf", "leaf")), encodings=TREE_ENCODINGS,
           task_type=_CLASSIFICATION),
    Family("rf", _forest_params(bootstrap=True), _forest(RandomForestClassifier),
           (("n_estimators", "n"), ("max_features", "mf")), encodings=TREE_ENCODINGS,
           task_type=_CLASSIFICATION),
    Family("et", _forest_params(bootstrap=False), _forest(ExtraTreesClassifier),
           (("n_estimators", "n"), ("max_features", "mf")), encodings=TREE_ENCODINGS,
           task_type=_CLASSIFICATION),
    Family("hgb", {**_HGB, "class_weight": _CLASS_WEIGHT},
           _hgb(HistGradientBoostingClassifier, SingleThreaded), _BOOSTING_LABELS["hgb"],
           encodings=TREE_ENCODINGS,
           task_type=_CLASSIFICATION),
    Family("lgbm", {**_LGBM, "class_weight": _CLASS_WEIGHT}, _lgbm("LGBMClassifier"),
           _BOOSTING_LABELS["lgbm"], encodings=TREE_ENCODINGS,
           task_type=_CLASSIFICATION),
    Family("xgb", _XGB, _xgb, _BOOSTING_LABELS["xgb"], encodings=TREE_ENCODINGS,
           task_type=_CLASSIFICATION),
    Family("mlp", _MLP, _seeded(SizedMLP), _MLP_LABEL, SCALED,
           task_type=_CLASSIFICATION),
    # The clinical statistician's candidates (issue 13): the penalty chosen by
    # inner CV, Harrell's restricted cubic splines, and a glass-box EBM.
    Family("logreg_cv", {"n_cs": Int(5, 20, 10), "class_weight": _CLASS_WEIGHT},
           _seeded(InnerCVLogistic), (("n_cs", "Cs"),), SCALED, generation=2,
           task_type=_CLASSIFICATION),
    Family("spline_lr", {
        "n_knots": Choice((3, 4, 5), 4),
        "C": Float(1e-2, 1e2, 1.0, log=True),
        "class_weight": _CLASS_WEIGHT,
    }, _seeded(SplineLogistic), (("n_knots", "k"), ("C", "C")), SCALED, generation=2,
           task_type=_CLASSIFICATION),
    Family("ebm", _EBM, _seeded(SizedEBM), _EBM_LABEL, encodings=TREE_ENCODINGS,
           generation=2,
           task_type=_CLASSIFICATION),
    # molecules (issue 23): MoleculeACE's SVM as a classifier, an absolute kernel width on
    # raw bits (:class:`KernelSVC`); for fingerprints only, so no tabular portfolio samples it
    Family("svc_rbf", {
        "C": Float(1e-1, 1e2, 1.0, log=True),
        "gamma": Float(1e-3, 1.0, 0.01, log=True),
        "class_weight": _CLASS_WEIGHT,
    }, _seeded(KernelSVC), (("C", "C"), ("gamma", "g")), SCALED, generation=3, tables=False,
           task_type=_CLASSIFICATION),
)



def _forest_regression_params(bootstrap: bool) -> dict[str, Domain]:
    return {
        "n_estimators": Int(50, 300, 100, log=True),
        "max_features": Choice((1.0, 0.5, 0.33, "sqrt"), 1.0),
        "min_samples_leaf": Int(1, 20, 1, log=True),
        "max_depth": Choice((None, 4, 8, 16), None),
        "bootstrap": Choice((True, False), bootstrap),
    }


def _enet(p: Params, seed: int) -> BaseEstimator:
    return standardized_target(ElasticNet(**p, max_iter=5000, random_state=seed))


def _plain(cls: type) -> Builder:
    return lambda p, seed: cls(**p)


_REGRESSION = REGRESSION.name
#: Regression families (issue 14): the tuned ridge is the baseline to beat.
_REGRESSION_FAMILIES = (
    Family("ridge_cv", {"n_alphas": Int(5, 30, 15)}, _plain(InnerCVRidge),
           (("n_alphas", "a"),), SCALED, task_type=_REGRESSION),
    Family("ridge", {"alpha": Float(1e-3, 1e3, 1.0, log=True)},
           _plain(Ridge), (("alpha", "a"),), SCALED, task_type=_REGRESSION),
    Family("enet", {
        "alpha": Float(1e-4, 1.0, 1e-2, log=True),
        "l1_ratio": Float(0.05, 1.0, 0.5),
    }, _enet, (("alpha", "a"), ("l1_ratio", "r")), SCALED, task_type=_REGRESSION),
    Family("spline_ridge", {"n_knots": Choice((3, 4, 5), 4)}, _plain(SplineRidge),
           (("n_knots", "k"),), SCALED, task_type=_REGRESSION),
    Family("svr", {
        "C": Float(1e-2, 1e2, 1.0, log=True),
        "gamma": Float(1e-2, 1e1, 1.0, log=True),
        "epsilon": Float(0.01, 0.5, 0.1, log=True),
    }, _plain(ScaledSVR), (("C", "C"), ("gamma", "g")), SCALED, task_type=_REGRESSION),
    # molecules (issue 23): fingerprints want an absolute kernel width (default 0.01, not
    # scikit-learn's "scale": MoleculeACE's setting); a later generation, so the regression
    # portfolio's first configs stay as they were
    Family("svr_rbf", {
        "C": Float(1e-1, 1e2, 1.0, log=True),
        "gamma": Float(1e-3, 1.0, 0.01, log=True),
        "epsilon": Float(0.01, 0.5, 0.1, log=True),
    }, _plain(KernelSVR), (("C", "C"), ("gamma", "g")), SCALED, generation=2, tables=False,
        task_type=_REGRESSION),
    Family("knn_reg", _KNN, _plain(CappedKNNRegressor), _KNN_LABEL, SCALED,
           task_type=_REGRESSION),
    Family("rf_reg", _forest_regression_params(bootstrap=True), _forest(RandomForestRegressor),
           (("n_estimators", "n"), ("max_features", "mf")), encodings=TREE_ENCODINGS,
           task_type=_REGRESSION),
    Family("et_reg", _forest_regression_params(bootstrap=False), _forest(ExtraTreesRegressor),
           (("n_estimators", "n"), ("max_features", "mf")), encodings=TREE_ENCODINGS,
           task_type=_REGRESSION),
    Family("hgb_reg", _HGB, _hgb(HistGradientBoostingRegressor, SingleThreadedRegressor),
           _BOOSTING_LABELS["hgb"], encodings=TREE_ENCODINGS, task_type=_REGRESSION),
    Family("lgbm_reg", _LGBM, _lgbm("LGBMRegressor"), _BOOSTING_LABELS["lgbm"],
           encodings=TREE_ENCODINGS, task_type=_REGRESSION),
    Family("xgb_reg", _XGB, _xgb_reg, _BOOSTING_LABELS["xgb"], encodings=TREE_ENCODINGS,
           task_type=_REGRESSION),
    Family("mlp_reg", _MLP, _seeded(SizedMLPRegressor), _MLP_LABEL, SCALED,
           task_type=_REGRESSION),
    Family("ebm_reg", _EBM, _seeded(SizedEBMRegressor), _EBM_LABEL, encodings=TREE_ENCODINGS,
           task_type=_REGRESSION),
)

def _survival(name: str) -> Builder:
    # The survival models live with their metrics; imported when a pipeline is built.
    def build(p: Params, seed: int) -> BaseEstimator:
        from metamed.survival import models

        cls = getattr(models, name)
        return cls(**p, random_state=seed) if name == "XGBCox" else cls(**p)
    return build


_SURVIVAL = SURVIVAL.name
#: Survival families (issue 22): the ridge Cox model is the baseline to beat. One-hot
#: encoding only: a target encoder cannot encode against a (time, event) outcome.
_SURVIVAL_FAMILIES = (
    Family("cox", {"alpha": Float(1e-4, 10.0, 0.01, log=True)}, _survival("CoxRidge"),
           (("alpha", "a"),), SCALED, encodings=("onehot",), selects=False,
           task_type=_SURVIVAL),
    Family("cox_enet", {"alpha": Float(1e-3, 1.0, 0.05, log=True),
                        "l1_ratio": Float(0.05, 0.95, 0.5)}, _survival("CoxElasticNet"),
           (("alpha", "a"), ("l1_ratio", "r")), SCALED, encodings=("onehot",), selects=False,
           task_type=_SURVIVAL),
    Family("cox_spline", {"n_knots": Choice((3, 4, 5), 4),
                          "alpha": Float(1e-3, 10.0, 0.1, log=True)}, _survival("SplineCox"),
           (("n_knots", "k"), ("alpha", "a")), SCALED, encodings=("onehot",), selects=False,
           task_type=_SURVIVAL),
    Family("xgb_cox", {"n_estimators": Int(50, 500, 200, log=True),
                       "learning_rate": Float(0.01, 0.3, 0.05, log=True),
                       "max_depth": Int(1, 6, 3)}, _survival("XGBCox"),
           (("n_estimators", "n"), ("max_depth", "d")), encodings=("onehot",), selects=False,
           task_type=_SURVIVAL),
)

#: Every model family by name, in portfolio order.
MODEL_FAMILIES: dict[str, Family] = {
    family.name: family for family in _FAMILIES + _REGRESSION_FAMILIES + _SURVIVAL_FAMILIES}


def task_type_of(config: Params | dict) -> str:
    """The kind of task a (canonical) config's model serves."""
    return MODEL_FAMILIES[str(config["model"]["name"])].task_type


def serves(config: Params | dict, kind: Kind) -> bool:
    """Whether a (canonical) config is one of ``kind``'s: its model serves the task type,
    and it names a featurisation exactly when the kind's input is a molecule."""
    return task_type_of(config) == kind.name and ("featurize" in config) == kind.featurizes


def families_for(task_type: str) -> list[str]:
    """Names of the families that serve ``task_type``, in portfolio order."""
    return [name for name, family in MODEL_FAMILIES.items() if family.task_type == task_type]


def make_model(model: Params, random_state: int = 0) -> BaseEstimator:
    """The unfitted classifier named by a canonical ``model`` step."""
    params = {key: value for key, value in model.items() if key != "name"}
    return MODEL_FAMILIES[str(model["name"])].build(params, random_state)
