"""Knowledge-base build speed: fits per second with 1 and 2 workers, and meta-feature time.

Usage: python benchmarks/kb_build.py [--pymfe]
Prints two tables. Run on an otherwise idle machine; results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from metamed import corpus
from metamed.data.validation import make_task
from metamed.knowledge import open_storage
from metamed.knowledge.build import BuildSettings, build
from metamed.knowledge.metafeatures import compute_metafeatures
from metamed.knowledge.units import prepared_task
from metamed.space import default_portfolio

TASKS = ["mass_birthwt", "rpart_kyphosis", "mass_biopsy", "md_indo_rct", "vcdextra_icu",
         "survival_pbc"]
SIZES = [(100, 10), (1000, 50), (5000, 100), (5000, 1000), (30, 7000)]


def fits_per_second(n_configs: int) -> pd.DataFrame:
    """Build the same small KB (6 corpus tasks x n configs x 3 folds) with 1 and 2 workers."""
    configs = default_portfolio()[:n_configs]
    for slug in TASKS:
        prepared_task(corpus.load_task, slug)  # load once, outside the timing
    rows = []
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            storage = open_storage(str(Path(folder) / "kb.sqlite"))
            started = time.perf_counter()
            fits = build(storage, TASKS, configs, BuildSettings(n_splits=3, workers=workers),
                         load=corpus.load_task)
            seconds = time.perf_counter() - started
        rows.append({"workers": workers, "fits": fits, "seconds": round(seconds, 1),
                     "fits_per_second": round(fits / seconds, 2)})
    return pd.DataFrame(rows)


def _table(n_rows: int, n_cols: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_text = max(1, n_cols // 10)  # a tenth of the columns are categorical
    frame = pd.DataFrame(rng.normal(size=(n_rows, n_cols - n_text)),
                         columns=[f"x{i}" for i in range(n_cols - n_text)])
    for i in range(n_text):
        frame[f"c{i}"] = rng.choice(["a", "b", "c"], n_rows).astype(object)
    frame = frame.mask(rng.random(frame.shape) < 0.05)
    frame["y"] = rng.choice(["sick", "well"], n_rows)
    return make_task(frame, "y")


def metafeature_times(with_pymfe: bool) -> pd.DataFrame:
    """Seconds for metamed's meta-features (best of 3) and, optionally, pymfe's defaults."""
    rows = []
    for n_rows, n_cols in SIZES:
        task = _table(n_rows, n_cols)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            compute_metafeatures(task)
            runs.append(time.perf_counter() - started)
        row = {"rows": n_rows, "columns": n_cols, "metamed_s": round(min(runs), 3)}
        if with_pymfe and (n_rows, n_cols) == (5000, 100):
            row["pymfe_s"] = round(_pymfe_seconds(task), 1)
        rows.append(row)
    return pd.DataFrame(rows)


def _pymfe_seconds(task) -> float:
    from pymfe.mfe import MFE

    X = task.X.copy()
    for column in task.columns_of("categorical"):
        X[column] = pd.factorize(X[column])[0]
    X = X.fillna(X.median()).to_numpy(dtype=float)
    started = time.perf_counter()
    MFE(random_state=0).fit(X, task.y.to_numpy()).extract()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", type=int, default=12)
    parser.add_argument("--pymfe", action="store_true", help="also time pymfe (pip install pymfe)")
    args = parser.parse_args()
    print(f"## KB build: {len(TASKS)} corpus tasks x {args.configs} configs x 3 folds\n")
    print(fits_per_second(args.configs).to_markdown(index=False))
    print("\n## Meta-feature extraction (one core)\n")
    print(metafeature_times(args.pymfe).to_markdown(index=False))


if __name__ == "__main__":
    main()
