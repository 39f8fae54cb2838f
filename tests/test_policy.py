"""The noise-aware decision against plain logistic regression, and its replay."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from metamed.automl.policy import Evidence, LeaveLRPolicy, Prior, kb_prior, paired_evidence
from metamed.automl.replay import ReplayTask, choose_policy, replay_task, summarize_replay
from metamed.automl.search import candidate_pool, successive_halving
from metamed.errors import MetamedError
from metamed.evaluation.scoring import Scorer
from metamed.kinds import CLASSIFICATION
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.metafeatures import METAFEATURE_NAMES
from metamed.space import config_hash, named_config

FOLDS = Evidence(np.array([0.02, 0.03, 0.01, 0.04, 0.00]), test_share=0.2)
FLAT = Prior(0.0, 1.0, 0.5, 0)


def test_without_a_prior_the_probability_is_the_corrected_t_statistic():
    se = np.sqrt((1 / 5 + 0.2 / 0.8) * np.var(FOLDS.differences, ddof=1))  # Nadeau-Bengio
    assert FOLDS.se == pytest.approx(se)
    decision = LeaveLRPolicy(0.5, 0.0, "shrink").decide(FLAT, FOLDS, CLASSIFICATION)
    assert decision.probability == pytest.approx(norm.cdf(0.02 / se))  # 0.970
    assert decision.weight == pytest.approx(2 * decision.probability - 1)
    assert "blended with logistic regression" in decision.sentence()
    assert LeaveLRPolicy(0.5, 0.0, "full").decide(FLAT, FOLDS, CLASSIFICATION).weight == 1.0
    assert LeaveLRPolicy(0.5, 0.0, "half").decide(FLAT, FOLDS, CLASSIFICATION).weight == 0.5
    kept = LeaveLRPolicy(0.99, 0.0, "full").decide(FLAT, FOLDS, CLASSIFICATION)
    assert kept.weight == 0.0 and kept.sentence().startswith("logistic regression kept")


def test_a_sceptical_prior_pulls_the_decision_back_to_logistic_regression():
    sceptical = Prior(mean=-0.02, sd=0.01, share_won=0.2, n_tasks=20)
    decision = LeaveLRPolicy(0.5, 1.0, "full").decide(sceptical, FOLDS, CLASSIFICATION)
    precision = 1 / 0.01**2 + 1 / FOLDS.se**2
    expected = (-0.02 / 0.01**2 + 0.02 / FOLDS.se**2) / precision
    assert decision.posterior_mean == pytest.approx(expected) and expected < 0
    assert decision.weight == 0.0
    with pytest.raises(MetamedError, match="unknown weighting"):
        LeaveLRPolicy(weighting="most")


def test_the_prior_is_the_proposals_gain_over_lr_on_similar_known_tasks():
    hashes = ["lr", "a", "b"]
    scores = np.array([[0.70, 0.75, 0.60], [0.80, 0.78, np.nan], [0.60, 0.66, 0.62]])
    metadata = MetaData(["t0", "t1", "t2"], ["h0", "h1", "h2"], ["", "", ""],
                        np.ones((3, len(METAFEATURE_NAMES))), [{}, {}, {}], hashes, scores)
    prior = kb_prior(metadata, np.ones(len(METAFEATURE_NAMES)), {"a": 1.0}, "lr")
    assert prior.mean == pytest.approx(np.mean([0.05, -0.02, 0.06]))  # equally similar tasks
    assert prior.share_won == pytest.approx(2 / 3) and prior.n_tasks == 3
    half = kb_prior(metadata, np.ones(len(METAFEATURE_NAMES)), {"a": 0.5, "b": 0.5}, "lr")
    # b failed on t1: it counts as that task's worst config (0.78)
    assert half.mean == pytest.approx(np.mean([0.675 - 0.70, 0.78 - 0.80, 0.64 - 0.60]))
    assert kb_prior(metadata, np.ones(len(METAFEATURE_NAMES)), {"a": 1.0}, "none").n_tasks == 0


def test_paired_evidence_skips_folds_without_two_classes():
    y = [np.array([0, 1, 1, 0]), np.array([1, 1, 1, 1]), np.array([0, 1, 0, 1])]
    good = [np.c_[1 - p, p] for p in [np.array([0.1, 0.9, 0.8, 0.2])] * 3]
    poor = [np.c_[1 - p, p] for p in [np.array([0.6, 0.4, 0.8, 0.2])] * 3]
    evidence = paired_evidence(good, poor, y, test_share=1 / 3, scorer=Scorer("classification"))
    assert len(evidence.differences) == 2 and evidence.mean > 0
    with pytest.raises(MetamedError, match="no CV fold holds two different outcomes"):
        paired_evidence(good[:1], poor[:1], y[1:2], test_share=1 / 3,
                        scorer=Scorer("classification"))


def test_the_search_never_cuts_the_logistic_regression(synthetic):
    task = synthetic("xor", n=160, p=3, signal=3, seed=5, linear=False)  # LR cannot fit it
    pool = candidate_pool([(named_config(n), "test") for n in ("rf", "knn", "tree")],
                          CLASSIFICATION)
    result = successive_halving(task, pool, budget=60)
    lr = next(c for c in result.candidates if config_hash(c.config) == config_hash(
        named_config("logreg")))
    assert not lr.cut and len(lr.fold_scores) == 5 == len(lr.fold_predictions)
    assert lr.mean_score < max(c.mean_score for c in result.complete if c is not lr)
    assert sum(c.cut for c in result.candidates) == 1  # half of 4, never LR


def _replay_task(gain: float, n: int = 300, seed: int = 0, regression: bool = False
                 ) -> ReplayTask:
    """The baseline sees one signal; candidate 'more' sees it plus ``gain`` of a second one."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, n))
    outcome = a + b + rng.normal(0, 0.8, n)
    folds = rng.permutation(np.arange(n) % 5)
    more_signal = a + gain * b + rng.normal(0, 0.3, n)
    if regression:
        oof = {"base": a[:, None], "more": more_signal[:, None]}
        return ReplayTask("toy", outcome, folds, oof, "base", "more", Scorer("regression"))
    base, more = 1 / (1 + np.exp(-a)), 1 / (1 + np.exp(-more_signal))
    oof = {"base": np.c_[1 - base, base], "more": np.c_[1 - more, more]}
    return ReplayTask("toy", (outcome > 0).astype(int), folds, oof, "base", "more",
                      Scorer("classification", positive=1))


def _toy_kb() -> MetaData:
    """One known task where the two toy candidates tie: the prior's source."""
    return MetaData(["k"], ["h"], [""], np.zeros((1, len(METAFEATURE_NAMES))), [{}, {}],
                    ["base", "more"], np.array([[0.7, 0.7]]))


def _replayed(gain: float, regression: bool = False):
    policies = {"gated": ("ensemble", LeaveLRPolicy(0.95, 0.0, "full"))}
    rows = replay_task(_replay_task(gain, regression=regression), _toy_kb(),
                       np.zeros(len(METAFEATURE_NAMES)), policies, halves=6)
    return rows, summarize_replay(rows)


@pytest.mark.parametrize("regression", [False, True])
def test_replay_leaves_the_baseline_for_a_real_gain_and_keeps_it_for_noise(regression):
    rows, summary = _replayed(gain=1.0, regression=regression)
    assert (rows.loc[rows["policy"] == "gated", "weight"] == 1.0).mean() >= 0.8
    assert summary.loc["gated", "vs_baseline"] > 0.05 and summary.loc["gated", "wins"] == 1
    rows, summary = _replayed(gain=0.0, regression=regression)  # 'more': baseline plus noise
    assert (rows.loc[rows["policy"] == "gated", "weight"] == 0.0).mean() >= 0.5
    assert summary.loc["gated", "vs_baseline"] > summary.loc["ungated CV-best", "vs_baseline"] \
        - 1e-9


def test_without_any_fold_holding_both_classes_the_decision_keeps_lr(synthetic):
    from metamed.automl.search import Candidate, SearchResult
    from metamed.automl.selection import Selection, _decide

    task = synthetic("one-class-folds", n=40, p=2, signal=2, seed=3)
    tests = [np.flatnonzero(task.codes == k) for k in (0, 1)]  # grouped folds of one class
    proba = [np.full((len(t), 2), 0.5) for t in tests]
    lr = Candidate(named_config("logreg"), "baseline", fold_predictions=list(proba), reference=True)
    rf = Candidate(named_config("rf"), "test", fold_predictions=list(proba))
    search = SearchResult([rf, lr], n_splits=2, seconds=0.0, tests=tests)
    chosen = _decide(Selection([], search, [rf], np.ones(1)), lr, LeaveLRPolicy(), task,
                     None, np.zeros(len(METAFEATURE_NAMES)))
    assert chosen.members == [lr] and chosen.decision is None


def test_one_fold_and_no_prior_is_no_knowledge_and_keeps_lr():
    single = Evidence(np.array([0.05]), test_share=0.2)
    decision = LeaveLRPolicy(0.5, 0.0, "shrink").decide(FLAT, single, CLASSIFICATION)
    assert decision.probability == 0.5 and decision.weight == 0.0


def test_the_choice_rule_gives_near_ties_to_the_policy_that_leaves_lr_least():
    policies = {name: ("ensemble", LeaveLRPolicy(t, 0.0, w)) for name, t, w in [
        ("bold", 0.5, "full"), ("half", 0.5, "half"), ("shrink", 0.5, "shrink"),
        ("strict", 0.9, "shrink"), ("risky", 0.5, "full")]}
    summary = pd.DataFrame({
        "vs_baseline": [0.0100, 0.0096, 0.0099, 0.0080, 0.0200],
        "big_losses": [0, 0, 0, 0, 5], "tasks": [60] * 5,
        "mean_weight": [0.40, 0.20, 0.30, 0.10, 0.50]}, index=list(policies))
    # 'risky' loses big too often; 'strict' is not within 0.0005 of the best allowed
    assert choose_policy(summary, policies) == "half"
    assert choose_policy(summary, policies, near_tie=0.0002) == "shrink"
    assert choose_policy(summary.drop(index="half"), policies, near_tie=0.0) == "bold"


def test_replay_recalibrates_the_final_blend_as_fit_does_and_leaves_references_alone():
    data = _replay_task(gain=0.0, n=600)
    sharp = {name: np.c_[1 - q, q] for name, q in (
        (n, 1 / (1 + np.exp(-3 * np.log(p[:, 1] / p[:, 0])))) for n, p in data.oof.items())}
    overconfident = ReplayTask("toy", data.target, data.folds, sharp, "base", "more",
                               data.scorer)
    policies = {"gated": ("ensemble", LeaveLRPolicy(0.95, 0.0, "full"))}
    slopes = {}
    for level in (None, 0.2):
        rows = replay_task(overconfident, _toy_kb(), np.zeros(len(METAFEATURE_NAMES)),
                           policies, halves=4, recalibration_p=level)
        slopes[level] = rows.groupby("policy")["calibration_slope"].mean()
    assert slopes[None]["gated"] < 0.5  # three times too steep
    assert slopes[0.2]["gated"] == pytest.approx(1.0, abs=0.25)
    assert slopes[0.2]["always baseline"] == pytest.approx(slopes[None]["always baseline"])
