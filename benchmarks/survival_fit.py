"""Wall time and honest result of a survival ``fit`` at issue 22's size (2,000 x 50).

Usage: python benchmarks/survival_fit.py [--kb URL] [--budget 60]
Target (issue 22): ``fit`` with the default budget <= 60 s on <= 2,000 x 50,
2 cores. The cohort is synthetic, at that size: 45 numeric columns (5%
missing in one), 5 categorical ones; event times from a Weibull model whose
log-hazard depends on five columns, one nonlinearly and one through an
interaction; independent exponential censoring and administrative
censoring at t = 10 (about 40% censored in all), so the search has a real
choice to make against the Cox model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fit_table import final_model, interval, print_table, timed_fit

from metamed.survival.estimator import MetaSurvival


def synthetic_cohort(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The 2,000 x 50 cohort described in the module docstring: features, (time, event)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 45)), columns=[f"lab{i}" for i in range(45)])
    for j in range(5):
        X[f"cat{j}"] = rng.choice(list("abcd"), n)
    log_hazard = (0.8 * X.lab0 - 0.5 * X.lab1 + 0.7 * np.abs(X.lab2) + 0.4 * X.lab3 * X.lab4
                  + 0.5 * (X.cat0 == "a"))
    event_time = (rng.exponential(size=n) / (0.03 * np.exp(log_hazard))) ** (1 / 1.5)
    censor_time = np.minimum(rng.exponential(20.0, size=n), 10.0)
    time_ = np.minimum(event_time, censor_time)
    X.loc[rng.random(n) < 0.05, "lab5"] = np.nan
    return X, np.c_[np.round(time_, 3) + 0.001, event_time <= censor_time]


def main() -> None:
    X, y = synthetic_cohort()
    model, budget, seconds = timed_fit(__doc__, MetaSurvival, X, y)
    print_table([("rows x columns", f"{X.shape[0]:,} x {X.shape[1]}"),
                 ("censored", f"{1 - y[:, 1].mean():.0%}"),
                 ("time budget", f"{budget:g} s"),
                 ("fit wall time", f"{seconds:.1f} s"),
                 ("honest Harrell's C", interval(model.cv_results_["harrell_c"])),
                 ("minus the Cox model, C",
                  interval(model.baseline_comparison_["harrell_c"], True)),
                 ("final model", final_model(model))])


if __name__ == "__main__":
    main()
