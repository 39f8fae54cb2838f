"""What differs between task types, in one record per type.

Why a record: the task type used to be a string tested in dozens of
conditionals, with half a dozen dicts keyed by it and parameters that
silently defaulted to "classification". Each fact is written once here
(like a model :class:`~metamed.space.families.Family`), and code asks the
task's :class:`Kind` instead of comparing strings; adding a task type means
adding a record and the parts it names.

The record is plain data, importable from anywhere without cost: the parts
that are code (the estimator, the blend, the report section) are named by
import path and loaded by :meth:`Kind.part` when used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import import_module

from metamed.errors import MetamedError


@dataclass(frozen=True)
class Kind:
    """One task type: how it is scored, what it must beat, and the parts that serve it.

    Attributes
    ----------
    name : str
        ``"classification"`` or ``"regression"``: what tasks, configs and
        KB rows are labelled with.
    primary : str
        The metric the search ranks by, the policy weighs and the verdict
        states (higher is better).
    unit : str
        How a difference in :attr:`primary` is written ("AUC", "R²").
    score_label : str
        :attr:`primary` as a column or axis title ("ROC AUC").
    comparison : tuple of str
        The differences from the baseline shown beside the verdict.
    baseline : str
        The named config every proposal must beat.
    baseline_words : str
        The baseline in a sentence ("logistic regression").
    baseline_refit_words : str
        The baseline as refit on the outer folds, for the report.
    baseline_brief : str
        The baseline in the policy's decision sentence ("the tuned ridge").
    has_classes : bool
        Whether predictions are one probability per class (else one value).
    strata_bins : int
        0: folds are stratified by class; else by up to this many rank bins
        of the target.
    predictions : str
        What the type's predictions (out-of-fold, in model files and the
        KB) hold, in words: documentation, not yet a checked format tag.
    score_floor : float
        KB scores below it are read as it, fold by fold. An unbounded metric
        (R²) can reach -1e66 on one fold where a linear model extrapolates
        without bound; such a number says no more than "useless", and would
        otherwise swamp every mean the learners take and the expected score
        shown to the user. Set below every merely bad score in the KB, so it
        reorders nothing else.
    featurizes : bool
        Whether the type's input is a molecule its configs featurise: such
        configs name a ``featurize`` step, and the knowledge base keeps
        them, and the tasks they were tried on, apart from plain tables'.
    policy : dict
        Settings of the leave-the-baseline policy for this type
        (:class:`~metamed.automl.policy.LeaveLRPolicy`).
    parts : dict
        Import paths (``module:name``) of the code that serves the type.
    """

    name: str
    primary: str
    unit: str
    score_label: str
    comparison: tuple[str, ...]
    baseline: str
    baseline_words: str
    baseline_refit_words: str
    baseline_brief: str
    has_classes: bool
    strata_bins: int
    predictions: str
    featurizes: bool = False
    score_floor: float = float("-inf")
    meta_name: str = ""
    meta_words: str = ""
    policy: dict = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a task type's kind is named as the type; replace() keeps a molecular kind's own name
        object.__setattr__(self, "meta_name", self.meta_name or self.name)
        object.__setattr__(self, "meta_words", self.meta_words or self.name)

    def part(self, role: str) -> object:
        """The code playing ``role`` for this type: ``metrics`` (the scorer's suite),
        ``predict`` (a fitted pipeline's predictions; not for classes), ``estimator``,
        ``blend``, ``performance_section``."""
        return _load(self.parts[role])


#: Policies chosen by ``benchmarks/replay.py`` on the development half of each type's tasks.
#: Both replays gave the KB prior no weight (k = 0 beat every k > 0); policies within 0.0005 of
#: the best mean gain are near-ties, given to the one that leaves the baseline least: for
#: classification "half" (mean weight 0.42) over "shrink" (0.51, ahead by 0.0005 AUC); for
#: regression P >= 0.7 over P >= 0.5.
CLASSIFICATION = Kind(
    name="classification", primary="roc_auc", unit="AUC", score_label="ROC AUC",
    comparison=("roc_auc", "brier", "calibration_slope"),
    baseline="logreg", baseline_words="logistic regression",
    baseline_refit_words="plain logistic regression (L2, C = 1)",
    baseline_brief="logistic regression",
    has_classes=True, strata_bins=0, predictions="class probabilities",
    policy={"threshold": 0.5, "prior_strength": 0.0, "weighting": "half"},
    parts={"metrics": "metamed.evaluation.scoring:ClassMetrics",
           "estimator": "metamed.automl.estimator:MetaClassifier",
           "blend": "metamed.automl.ensemble:WeightedEnsemble",
           "performance_section": "metamed.report.performance:performance_section"},
)
#: Regression's score floor: the tabular tasks' worst fold R² is -4.4 (shipped KB 2026.12.07),
#: the molecular descriptor ridge's -9.7e66 (docs/benchmarks.md).
REGRESSION = Kind(
    name="regression", primary="r2", unit="R²", score_label="R²",
    comparison=("r2", "rmse", "calibration_slope"),
    baseline="ridge_cv", baseline_words="ridge regression (penalty tuned by CV)",
    baseline_refit_words="ridge regression (penalty tuned by CV)",
    baseline_brief="the tuned ridge",
    has_classes=False, strata_bins=10, predictions="predicted values", score_floor=-10.0,
    policy={"threshold": 0.7, "prior_strength": 0.0, "weighting": "shrink"},
    parts={"metrics": "metamed.evaluation.scoring:ValueMetrics",
           "predict": "metamed.evaluation.evaluate:predicted_values",
           "estimator": "metamed.automl.estimator:MetaRegressor",
           "blend": "metamed.automl.ensemble:WeightedRegressor",
           "performance_section":
               "metamed.report.regression:regression_performance_section"},
)
#: Survival (issue 22): the Cox model with a small ridge penalty is what LR is for classes.
#: Its policy was chosen by ``benchmarks/replay.py --task survival`` on the development half of
#: the 64 complete survival tasks (KB artifacts/kb.sqlite, 2026-12-06): "ensemble P>=0.5 k=0
#: half" (+0.0032 C, CI +0.0013 to +0.0051), the same settings as classification's.
SURVIVAL = Kind(
    name="survival", primary="harrell_c", unit="C-index", score_label="Harrell's C",
    comparison=("harrell_c", "integrated_brier", "calibration_slope"),
    baseline="cox", baseline_words="the Cox model",
    baseline_refit_words="the Cox model (ridge penalty 0.01)",
    baseline_brief="the Cox model",
    has_classes=False, strata_bins=0, predictions="risk and survival at the horizons",
    policy={"threshold": 0.5, "prior_strength": 0.0, "weighting": "half"},
    parts={"metrics": "metamed.survival.scoring:SurvivalMetrics",
           "predict": "metamed.survival.models:risk_and_survival",
           "estimator": "metamed.survival.estimator:MetaSurvival",
           "blend": "metamed.survival.estimator:WeightedSurvival",
           "performance_section": "metamed.report.survival:survival_performance_section"},
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in (CLASSIFICATION, REGRESSION, SURVIVAL)}
#: A regression whose input holds a molecule (issue 23): a regression in every way but the
#: baseline to beat, SVR (RBF, C = 10, gamma = 0.01) on ECFP4, the strongest method of
#: MoleculeACE's published benchmark (reproduced in docs/benchmarks.md).
MOLECULAR_REGRESSION = replace(
    REGRESSION, baseline="svr_ecfp", baseline_words="SVR on ECFP4 fingerprints",
    baseline_refit_words="SVR on ECFP4 fingerprints (RBF, C = 10, gamma = 0.01)",
    baseline_brief="SVR on ECFP4", featurizes=True, meta_name="molecules",
    meta_words="molecular regression")
#: A classification whose input holds a molecule: the corpus's form is active or not at a
#: stated potency (<= 100 nM, :mod:`metamed.corpus`). Its baseline is MoleculeACE's SVM as a
#: classifier, the same kernel on the same bits (sigmoid-calibrated, as every SVM of the
#: space), rather than logistic regression: on fingerprints a kernel over shared bits is the
#: literature's standard to beat, and a linear model on 1,024 hashed bits is not. Its policy
#: was chosen by ``benchmarks/replay.py --task molecule_classes`` on the development half of
#: its 30 tasks (KB 2026.12.08): "ensemble P>=0.7 k=0 shrink" (+0.0122 AUC over the SVM, CI
#: +0.0077 to +0.0167), ahead of classification's own "half" (+0.0110), and better calibrated.
MOLECULAR_CLASSIFICATION = replace(
    CLASSIFICATION, baseline="svc_ecfp", baseline_words="an SVM on ECFP4 fingerprints",
    baseline_refit_words="an SVM on ECFP4 fingerprints (RBF, C = 10, gamma = 0.01)",
    baseline_brief="the SVM on ECFP4", featurizes=True, meta_name="molecule_classes",
    meta_words="molecular classification",
    policy={"threshold": 0.7, "prior_strength": 0.0, "weighting": "shrink"})
_MOLECULAR = (MOLECULAR_REGRESSION, MOLECULAR_CLASSIFICATION)
#: The kinds the knowledge base keeps apart, by the name a command line gives them.
META_KINDS: dict[str, Kind] = {kind.meta_name: kind for kind in (*KINDS.values(), *_MOLECULAR)}


@cache
def _load(path: str) -> object:
    """``module:name`` imported (once: scorers ask for their suite on every resample)."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def kind_for(task_type: str, feature_types: Mapping[str, str]) -> Kind:
    """The record a task is measured with: its type's, except that a regression or a
    classification whose input holds a molecule must beat its type's baseline on ECFP4
    (survival has no molecular kind: a molecule there is one more input)."""
    return kind_serving(task_type, "molecule" in feature_types.values())


def kind_serving(task_type: str, featurizes: bool) -> Kind:
    """The record of ``task_type``'s tasks whose configs featurise a molecule (or do not)."""
    kind = kind_of(task_type)
    twin = next((k for k in _MOLECULAR if k.name == kind.name), kind)
    return twin if featurizes else kind


def meta_kind(name: str | Kind) -> Kind:
    """A kind by its :data:`META_KINDS` name ("molecules" beside the task types)."""
    if isinstance(name, Kind):
        return name
    if name not in META_KINDS:
        raise MetamedError(f"unknown kind of task {name!r}; metamed knows "
                           f"{', '.join(META_KINDS)}.")
    return META_KINDS[name]


def kind_of(task_type: str) -> Kind:
    """The record of ``task_type``; an unknown type is an error, never a default."""
    if task_type not in KINDS:
        raise MetamedError(f"unknown task type {task_type!r}; metamed knows "
                           f"{', '.join(KINDS)}.")
    return KINDS[task_type]
