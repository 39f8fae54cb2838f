"""Latency of `recommend`, wall time of `fit`, and how closely `fit` keeps its time budget.

Usage: python benchmarks/recommend_fit.py [--kb URL]
Targets (issue 4): recommend <= 1 s on 5,000 x 100; fit with the default
budget <= 60 s on 2 cores on the bundled example; ``--time-budget``
honoured within about 10% (a ceiling: small tables finish early).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from metamed.automl.estimator import MetaClassifier
from metamed.automl.procedure import load_metadata
from metamed.data.io import load_task
from metamed.data.task import Task
from metamed.data.validation import make_task
from metamed.learners import make_learner


def wide_task(seed: int = 0) -> Task:
    """5,000 x 100 numbers with a real but noisy signal (so the search has work to do)."""
    X, y = make_classification(5000, 100, n_informative=10, flip_y=0.2, random_state=seed)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(100)])
    frame["y"] = np.where(y == 1, "a", "b")
    return make_task(frame, "y")


def recommend_seconds(kb: str | None) -> pd.DataFrame:
    task = wide_task()
    load_metadata(kb, "classification")  # reading the KB file once is the same for every learner
    rows = []
    for name in ("nearest", "local", "ranker", "greedy"):
        started = time.perf_counter()
        make_learner(name).fit(load_metadata(kb, "classification")).recommend(task, 8)
        rows.append({"learner": name, "fit_and_recommend_s": round(time.perf_counter() - started,
                                                                     2)})
    return pd.DataFrame(rows)


def fit_seconds(kb: str | None, budget: float) -> dict:
    task = load_task("examples/medical_data.csv", "label")
    started = time.perf_counter()
    model = MetaClassifier(kb=kb, time_budget=budget).fit_task(task)
    wall = time.perf_counter() - started
    auc = model.cv_results_["roc_auc"]
    return {"budget_s": budget, "wall_s": round(wall, 1),
            "honest_roc_auc": f"{auc.estimate:.3f} ({auc.low:.3f}-{auc.high:.3f})",
            "final_model": ", ".join(f"{n} {w:.0%}" for n, w in model.ensemble_)}


def budget_kept(kb: str | None, budgets: tuple[float, ...]) -> pd.DataFrame:
    """``fit`` on the 5,000 x 100 table, where every budget binds: wall time against budget."""
    task = wide_task()
    rows = []
    for budget in budgets:
        started = time.perf_counter()
        MetaClassifier(kb=kb, time_budget=budget).fit_task(task)
        wall = time.perf_counter() - started
        rows.append({"budget_s": budget, "wall_s": round(wall, 1),
                     "over_budget": f"{wall / budget - 1:+.0%}"})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb", default=None)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    print("## recommend on a 5,000 x 100 table (meta-features + learner fit + ranking)\n")
    print(recommend_seconds(args.kb).to_markdown(index=False))
    print("\n## fit on examples/medical_data.csv\n")
    print(pd.DataFrame([fit_seconds(args.kb, args.budget)]).to_markdown(index=False))
    print("\n## fit on the 5,000 x 100 table: is the time budget kept?\n")
    print(budget_kept(args.kb, (10.0, 30.0, 60.0)).to_markdown(index=False))


if __name__ == "__main__":
    main()
