"""The search plans its work from the KB's fit times, so a busy machine gives the same answer."""

import multiprocessing
import time

import numpy as np
import pytest

from metamed.automl.costs import CostModel
from metamed.automl.estimator import MetaClassifier
from metamed.automl.procedure import MIN_SEARCHED_ROWS, affordable_resamples, affordable_rows
from metamed.automl.search import (
    PLAN_SHARE,
    Candidate,
    candidate_pool,
    plan_pool,
    successive_halving,
)
from metamed.clock import WorkClock, work_seconds
from metamed.evaluation.intervals import MIN_BOOT
from metamed.kinds import CLASSIFICATION
from metamed.knowledge.metadata import MetaData
from metamed.knowledge.metafeatures import METAFEATURE_NAMES
from metamed.space import named_config

ROWS, FEATURES = METAFEATURE_NAMES.index("log_rows"), METAFEATURE_NAMES.index("log_features")


def _metadata(seconds: np.ndarray, log_rows: np.ndarray) -> MetaData:
    n = len(log_rows)
    metafeatures = np.zeros((n, len(METAFEATURE_NAMES)))
    metafeatures[:, ROWS], metafeatures[:, FEATURES] = log_rows, 2.0
    configs = [{"model": {"name": "rf"}}, {"model": {"name": "knn"}}]
    return MetaData([f"t{i}" for i in range(n)], [""] * n, [""] * n, metafeatures, configs,
                    ["a", "b"], np.full((n, 2), 0.7), seconds)


def test_the_cost_model_learns_each_configs_growth_and_never_a_shrinking_one():
    log_rows = np.linspace(4, 8, 12)
    seconds = np.c_[np.exp(-2 + 0.5 * log_rows), np.exp(3 - 0.3 * log_rows)]
    model = CostModel.from_metadata(_metadata(seconds, log_rows))
    table = np.zeros(len(METAFEATURE_NAMES))
    table[ROWS], table[FEATURES] = 9.0, 2.0
    assert model.seconds({"model": {"name": "rf"}}, "a", table) == pytest.approx(np.exp(2.5))
    shrinking = model.seconds({"model": {"name": "knn"}}, "b", table)
    assert shrinking == pytest.approx(np.exp(np.mean(3 - 0.3 * log_rows)))  # slope clipped to 0
    unknown = model.seconds({"model": {"name": "mlp"}}, "c", table)  # pooled fit
    assert min(seconds.min(), shrinking) < unknown < np.exp(2.5) * 10


def test_the_plan_keeps_recommendations_in_order_while_they_fit_and_always_the_baseline():
    pool = [Candidate({"n": i}, "test") for i in range(4)] + [
        Candidate({"n": 9}, "baseline", reference=True)]
    cost = {0: 1.0, 1: 2.0, 2: 10.0, 3: 0.5, 9: 50.0}
    kept, left_out = plan_pool(pool, lambda c: cost[c.config["n"]], budget=5 / PLAN_SHARE * 2,
                               fits=2)
    assert [c.config["n"] for c in kept] == [0, 1, 3, 9] and left_out == 1


def test_the_plan_holds_the_conformal_refits_of_its_costliest_candidate():
    pool = [Candidate({"n": i}, "test") for i in range(3)]
    cost = {0: 1.0, 1: 2.0, 2: 0.5}
    # 10 s of planned work: 2 + 4 folds fit with 2 refits of the 2 s candidate (10 s); the
    # third candidate's 1 s no longer does, though it would without the refits.
    kept, left_out = plan_pool(pool, lambda c: cost[c.config["n"]], budget=10 / PLAN_SHARE,
                               fits=2, refit_folds=2)
    assert [c.config["n"] for c in kept] == [0, 1] and left_out == 1
    assert len(plan_pool(pool, lambda c: cost[c.config["n"]], budget=10 / PLAN_SHARE,
                         fits=2)[0]) == 3


def _hog(stop):
    while not stop.is_set():
        pass


def test_the_budget_counts_work_not_waiting():
    clock = WorkClock(budget=10)
    time.sleep(0.3)
    assert clock.used() < 0.1 and clock.wall() >= 0.3
    started = work_seconds()
    while work_seconds() - started < 0.2:
        pass
    assert clock.used() >= 0.2


def test_the_wall_clock_cap_stops_the_search_and_says_so(synthetic):
    task = synthetic("capped", n=120, p=3, signal=2, seed=11)
    clock = WorkClock(budget=60)
    clock.wall_start -= clock.cap + 1  # as if a very slow machine had spent the cap already
    pool = candidate_pool([(named_config("rf"), "test")], CLASSIFICATION)
    result = successive_halving(task, pool, budget=60, clock=clock)
    assert {c.reference: len(c.fold_scores) for c in result.candidates} == {True: 0, False: 0}
    assert "wall-clock safety cap" in clock.notes()[0]
    assert WorkClock(budget=60).notes() == []


def test_a_busy_machine_gives_the_same_model_and_estimate(tiny_kb, synthetic):
    task = synthetic("busy", n=160, p=4, signal=1.5, seed=21)

    def fit():
        model = MetaClassifier(tiny_kb, time_budget=20, random_state=0).fit(task.X, task.y)
        board = model.leaderboard_[["pipeline", "folds", "cv_roc_auc"]]
        return board, model.ensemble_, model.cv_results_["roc_auc"]

    idle = fit()
    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=_hog, args=(stop,)) for _ in range(3)]
    for hog in hogs:
        hog.start()
    try:
        busy = fit()
    finally:
        stop.set()
        for hog in hogs:
            hog.join()
    assert idle[0].equals(busy[0]) and idle[1] == busy[1] and idle[2] == busy[2]


def test_a_table_larger_than_the_budget_affords_is_searched_on_a_stratified_subsample(synthetic):
    task = synthetic("large", n=12_000, p=4, signal=1, seed=3)
    searched, note = affordable_rows(task, budget=1, seed=0)
    assert searched.n_rows == MIN_SEARCHED_ROWS and "5,000 of the 12,000 rows" in note[0]
    shares = [t.y.value_counts(normalize=True)["ill"] for t in (task, searched)]
    assert shares[0] == pytest.approx(shares[1], abs=0.001)
    assert affordable_rows(task, budget=60, seed=0) == (task, [])


def test_the_honest_intervals_draw_fewer_resamples_only_for_large_tables_on_short_budgets():
    assert affordable_resamples(300, budget=10) == 1000
    assert affordable_resamples(100_000, budget=60) == 1000
    assert affordable_resamples(100_000, budget=10) == 400
    assert affordable_resamples(100_000, budget=1) == MIN_BOOT
