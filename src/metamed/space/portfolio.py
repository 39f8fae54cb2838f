"""Named baseline configs and the default portfolio, both generated from the space."""

from __future__ import annotations

import difflib

import numpy as np

from metamed.errors import MetamedError
from metamed.kinds import kind_serving
from metamed.space.config import Config, canonical_config, config_hash
from metamed.space.families import MODEL_FAMILIES, families_for
from metamed.space.params import Scalar
from metamed.space.schema import FAMILIES, SPACE

_SELECTORS = ("kbest", "l1", "trees")
#: Random configs each later-generation family adds after its library-default one.
EXTENSION_SAMPLES = 4
#: Configs of the regression portfolio: its 13 families at their defaults, then samples.
REGRESSION_PORTFOLIO_SIZE = 60
#: Configs of the survival portfolio: its 4 families at their defaults, then samples.
SURVIVAL_PORTFOLIO_SIZE = 16
_SHARE_WITHOUT_SELECTION = 0.5


#: Baselines that are not one family at its library defaults, by name.
REFERENCES: dict[str, Config] = {
    # MoleculeACE's SVM: RBF, C = 10, gamma = 0.01 (epsilon at its default) on ECFP4
    "svr_ecfp": {"scale": "standard", "model": {"name": "svr_rbf", "C": 10.0, "gamma": 0.01},
                 "featurize": {"method": "ecfp", "radius": 2, "n_bits": 1024}},
    # the same machine as a classifier (sigmoid-calibrated), for active-or-not
    "svc_ecfp": {"scale": "standard", "model": {"name": "svc_rbf", "C": 10.0, "gamma": 0.01},
                 "featurize": {"method": "ecfp", "radius": 2, "n_bits": 1024}},
}


def named_config(name: str) -> Config:
    """The canonical config of a named baseline.

    Each model family's name gives that model at its library defaults, with
    median imputation plus missing-value indicators and one-hot encoding;
    scale-sensitive models get standard scaling. ``"logreg"`` is the plain
    logistic regression baseline (L2, C=1), ``"rf"`` the default random forest.
    A few names are baselines that are not a family at its defaults
    (:data:`REFERENCES`): ``"svr_ecfp"`` and ``"svc_ecfp"``, SVR and SVM on ECFP4 for
    molecules.

    Raises
    ------
    MetamedError
        For an unknown name, suggesting close ones.
    """
    if name in REFERENCES:
        return canonical_config(REFERENCES[name])
    if name not in FAMILIES:
        known = [*FAMILIES, *REFERENCES]
        close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.4)
        hint = f"did you mean {' or '.join(map(repr, close))}?" if close else (
            "known names are " + ", ".join(known) + ".")
        raise MetamedError(f"there is no named config {name!r}; {hint}")
    return canonical_config({"scale": MODEL_FAMILIES[name].scalings[0], "model": name})


def list_named_configs() -> list[str]:
    """Names accepted by :func:`named_config`, one per model family."""
    return list(FAMILIES)


def default_portfolio(size: int = 120, seed: int = 0) -> list[Config]:
    """An ordered, duplicate-free list of configs generated from the space.

    How it is generated:

    1. first, every first-generation model family at its library defaults
       (:func:`named_config`, in the order of :func:`list_named_configs`);
    2. then random samples of those families, taking turns so that each is
       represented about equally, until ``size`` configs. A sample draws
       every hyper-parameter of the model from its range (log-uniform for
       scale parameters such as ``C``, learning rates and tree counts, 3
       significant digits), the numeric imputation (median, mean, k-NN),
       categorical imputation, indicators and rare-level grouping
       uniformly, the encoding (ordinal only for tree models, for which
       codes are meaningful splits), the scaling (standard, robust or
       quantile for scale-sensitive models, none or quantile for naive
       Bayes, none for trees), and no feature selection half of the time,
       else one of k-best, L1 or trees;
    3. then each later-generation family for tables (added after the first
       knowledge base: penalised LR by inner CV, splines, EBM) appends its default
       config and :data:`EXTENSION_SAMPLES` samples from its own seed, so
       the first ``size`` configs never change when a family is added;
    4. a sample whose :func:`config_hash` is already in the list is dropped.

    The same ``seed`` gives the same list on every machine; the base part of
    a larger ``size`` extends a smaller one's (it is a prefix).

    Raises
    ------
    MetamedError
        If ``size`` is smaller than the number of first-generation families.
    """
    classifiers = families_for("classification")
    base = [name for name in classifiers if MODEL_FAMILIES[name].generation == 1]
    portfolio = _sampled(base, size, seed)
    seen = {config_hash(config) for config in portfolio}
    for index, family in enumerate(classifiers):
        if MODEL_FAMILIES[family].generation > 1 and MODEL_FAMILIES[family].tables:
            _add(portfolio, seen, named_config(family))
            own = np.random.default_rng([seed, index])
            for _ in range(EXTENSION_SAMPLES):
                _add(portfolio, seen, sample_config(own, family))
    return portfolio


def regression_portfolio(size: int = REGRESSION_PORTFOLIO_SIZE, seed: int = 0) -> list[Config]:
    """The first-generation regression families' portfolio, generated as steps 1, 2 and 4 of
    :func:`default_portfolio` describe (``svr_rbf``, added for molecules, serves
    :func:`molecular_portfolio`)."""
    first = [f for f in families_for("regression") if MODEL_FAMILIES[f].generation == 1]
    return _sampled(first, size, seed)


def survival_portfolio(size: int = SURVIVAL_PORTFOLIO_SIZE, seed: int = 0) -> list[Config]:
    """The survival families' portfolio, generated as :func:`regression_portfolio` is."""
    return _sampled(families_for("survival"), size, seed)


#: The molecular portfolio's featurisations (issue 23): the hashed fingerprints of the
#: literature at its usual sizes (ECFP4 as bits and as counts, the pharmacophoric FCFP4,
#: atom pairs), the 167 MACCS keys and RDKit's 2D descriptors.
MOLECULAR_FEATURIZATIONS: tuple[dict, ...] = (
    {"method": "ecfp", "radius": 2, "n_bits": 1024, "counts": False},
    {"method": "ecfp", "radius": 2, "n_bits": 2048, "counts": True},
    {"method": "fcfp", "radius": 2, "n_bits": 1024, "counts": False},
    {"method": "atompair", "n_bits": 1024, "counts": True},
    {"method": "maccs"},
    {"method": "rdkit2d"},
)
#: Its models, by task type: MoleculeACE's SVM, a random forest, gradient boosting, k-NN
#: and a linear model (the tuned ridge; plain logistic regression), the classical methods
#: MoleculeACE found ahead of deep learning, each at one literature-default setting. The
#: regression forest draws a third of the columns at each split (all 1,024 bits at every
#: split would cost ten times more for the same trees), the classifier its usual square root.
MOLECULAR_MODELS: dict[str, tuple[dict, ...]] = {
    "regression": (
        {"name": "svr_rbf", "C": 10.0, "gamma": 0.01},
        {"name": "rf_reg", "max_features": 0.33},
        {"name": "lgbm_reg"},
        {"name": "knn_reg"},
        {"name": "ridge_cv"},
    ),
    "classification": (
        {"name": "svc_rbf", "C": 10.0, "gamma": 0.01},
        {"name": "rf"},
        {"name": "lgbm"},
        {"name": "knn"},
        {"name": "logreg"},
    ),
}


def molecular_portfolio(task_type: str = "regression") -> list[Config]:
    """Every featurisation of :data:`MOLECULAR_FEATURIZATIONS` with every model of
    :data:`MOLECULAR_MODELS` for ``task_type``: a designed grid, not samples, so the
    knowledge base says of each featurisation and each model how it fares against the
    others on the same tasks.

    The first config is the baseline to beat, the SVM on ECFP4 (``svr_ecfp``,
    ``svc_ecfp``). The SVM's kernel width is MoleculeACE's absolute 0.01, fitted for
    fingerprints; on the scaled 2D descriptors it uses the same width, the literature's
    descriptor setting.
    """
    if task_type not in MOLECULAR_MODELS:
        raise MetamedError(f"there is no molecular portfolio for {task_type} tasks; there is "
                           f"one for {' and '.join(MOLECULAR_MODELS)}.")
    portfolio = [named_config(kind_serving(task_type, featurizes=True).baseline)]
    seen = {config_hash(portfolio[0])}
    for featurize in MOLECULAR_FEATURIZATIONS:
        for model in MOLECULAR_MODELS[task_type]:
            scale = MODEL_FAMILIES[str(model["name"])].scalings[0]
            _add(portfolio, seen, canonical_config({"scale": scale, "model": model,
                                                    "featurize": featurize}))
    return portfolio


def _sampled(base: list[str], size: int, seed: int) -> list[Config]:
    """Each family of ``base`` at its defaults, then samples of them in turn, up to ``size``."""
    if size < len(base):
        raise MetamedError(
            f"a portfolio holds at least one config per model family ({len(base)}), "
            f"so size={size} is too small."
        )
    portfolio = [named_config(family) for family in base]
    seen = {config_hash(config) for config in portfolio}
    rng = np.random.default_rng(seed)
    for attempt in range(100 * size):
        if len(portfolio) == size:
            break
        _add(portfolio, seen, sample_config(rng, base[attempt % len(base)]))
    return portfolio


def _add(portfolio: list[Config], seen: set[str], config: Config) -> None:
    if config_hash(config) not in seen:
        seen.add(config_hash(config))
        portfolio.append(config)


def sample_config(rng: np.random.Generator, family: str) -> Config:
    """One random config of ``family``, drawn as :func:`default_portfolio` describes."""
    unselected = rng.random() < _SHARE_WITHOUT_SELECTION or not MODEL_FAMILIES[family].selects
    select = "none" if unselected else _pick(rng, _SELECTORS)
    return canonical_config({
        "impute": SPACE["impute"].sample(rng, _pick(rng, ("median", "mean", "knn"))),
        "encode": SPACE["encode"].sample(rng, _pick(rng, MODEL_FAMILIES[family].encodings)),
        "scale": _pick(rng, MODEL_FAMILIES[family].scalings),
        "select": SPACE["select"].sample(rng, select),
        "model": SPACE["model"].sample(rng, family),
    })


def _pick(rng: np.random.Generator, options: tuple[Scalar, ...]) -> Scalar:
    """A uniform choice that keeps Python types (``rng.choice`` returns numpy ones)."""
    return options[int(rng.integers(len(options)))]
