"""Reference Cox fits on SurvSet's ``veteran`` for ``tests/test_survival_models.py``.

statsmodels' ``PHReg`` is the independent reference: it is not a dependency
of metamed, so run this in a throwaway environment outside the repository::

    python -m venv /tmp/refvenv2
    /tmp/refvenv2/bin/pip install statsmodels pandas SurvSet
    /tmp/refvenv2/bin/python tests/data/make_cox_reference.py

It writes ``tests/data/cox_reference.json``: the Breslow-ties coefficients,
their standard errors and the maximised log partial likelihood, the Breslow
baseline cumulative hazard at ``x = 0`` (uncentred design), and the
Efron-ties coefficients next to R's published ``coxph`` table (survival
package, ``coxph(Surv(time, status) ~ trt + celltype + karno + diagtime +
age + prior, veteran)``), which checks that the design below codes veteran
the way R does (``trt`` and ``prior`` are 0/1 indicators here, so the
``prior`` coefficient is 10 times R's, whose ``prior`` is 0/10).

statsmodels reports the baseline *before* each failure time's jump
(``cumsum(h0) - h0``, left-continuous); the file stores the usual
right-continuous step function, ``H(t_i) = statsmodels' value at t_{i+1}``,
so the last failure time is dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.duration.hazard_regression import PHReg
from SurvSet.data import SurvLoader

COLUMNS = ["trt", "smallcell", "adeno", "large", "karno", "diagtime", "age", "prior"]

#: R survival::coxph on veteran, Efron ties (the package's documented example output).
R_EFRON = {"trt": 2.946e-01, "smallcell": 8.616e-01, "adeno": 1.196e+00, "large": 4.013e-01,
           "karno": -3.282e-02, "diagtime": 8.132e-05, "age": -8.706e-03, "prior": 7.159e-03 * 10}


def veteran_design() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, time, event) of veteran with R's coding (squamous is the reference cell type)."""
    df = SurvLoader().load_dataset("veteran")["df"]
    X = pd.DataFrame({
        "trt": (df["fac_trt"].astype(int) == 2).astype(float),
        "smallcell": (df["fac_celltype"].astype(str) == "smallcell").astype(float),
        "adeno": (df["fac_celltype"].astype(str) == "adeno").astype(float),
        "large": (df["fac_celltype"].astype(str) == "large").astype(float),
        "karno": df["num_karno"].astype(float),
        "diagtime": df["num_diagtime"].astype(float),
        "age": df["num_age"].astype(float),
        "prior": (df["fac_prior"].astype(int) == 10).astype(float),
    })[COLUMNS]
    return X.to_numpy(), df["time"].to_numpy(float), df["event"].to_numpy(float)


def main() -> None:
    X, time, event = veteran_design()
    breslow = PHReg(time, X, status=event, ties="breslow").fit()
    efron = PHReg(time, X, status=event, ties="efron").fit()
    gap = max(abs(efron.params[i] - R_EFRON[c]) / efron.bse[i] for i, c in enumerate(COLUMNS))
    assert gap < 0.01, f"statsmodels Efron differs from R's table by {gap:.3f} SE"

    times, cumhaz_left, _ = breslow.model.baseline_cumulative_hazard(breslow.params)[0]
    reference = {
        "dataset": "SurvSet veteran",
        "columns": COLUMNS,
        "n": int(len(time)),
        "events": int(event.sum()),
        "breslow": {
            "coef": breslow.params.tolist(),
            "se": breslow.bse.tolist(),
            "log_partial_likelihood": float(breslow.llf),
            "baseline_times": times[:-1].tolist(),
            "baseline_cumhaz": cumhaz_left[1:].tolist(),
        },
        "efron": {"coef": efron.params.tolist()},
        "r_coxph_efron_published": [R_EFRON[c] for c in COLUMNS],
        "max_gap_efron_vs_r_in_se": float(gap),
        "generator": "tests/data/make_cox_reference.py",
        "statsmodels": statsmodels.__version__,
    }
    path = Path(__file__).with_name("cox_reference.json")
    path.write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {path}; Efron vs R: max gap {gap:.4f} SE")


if __name__ == "__main__":
    main()
