"""Latency of `recommend` on a 5,000 x 100 table and wall time of `fit` on the bundled example.

Usage: python benchmarks/recommend_fit.py [--kb URL]
Targets (issue 4): recommend <= 1 s; fit with the default budget <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from metamed.estimator import MetaClassifier, load_metadata
from metamed.io import load_task
from metamed.learners import make_learner
from metamed.validation import make_task


def recommend_seconds(kb: str | None) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(5000, 100)), columns=[f"x{i}" for i in range(100)])
    frame["y"] = rng.choice(["a", "b"], 5000)
    task = make_task(frame, "y")
    load_metadata(kb)  # reading the KB file once is the same for every learner
    rows = []
    for name in ("nearest", "ranker", "greedy"):
        started = time.perf_counter()
        make_learner(name).fit(load_metadata(kb)).recommend(task, 8)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb", default=None)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    print("## recommend on a 5,000 x 100 table (meta-features + learner fit + ranking)\n")
    print(recommend_seconds(args.kb).to_markdown(index=False))
    print("\n## fit on examples/medical_data.csv\n")
    print(pd.DataFrame([fit_seconds(args.kb, args.budget)]).to_markdown(index=False))


if __name__ == "__main__":
    main()
