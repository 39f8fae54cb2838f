"""Does a busy machine change what `metamed fit` chooses? (issue 21: the same answer under load)

Usage: python benchmarks/load.py [--hogs 0 2 3 4] [--data examples/medical_data.csv]
Runs the README's example as a user would (a fresh `metamed fit ... --json`
process) while N other processes each spin one core, and prints, per N, the
process's wall time, the fit's own CPU seconds, and whether everything it
printed (model, leaderboard, decision, honest numbers, verdict) is identical
to the idle run's, but for the timings. Target: identical up to 3 hogs on
2 cores.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

#: Fields of `fit --json` that are timings (or the file written), not results.
TIMINGS = {"fit_seconds", "model_file"}


def spin(stop) -> None:
    """One busy core until ``stop`` is set."""
    while not stop.is_set():
        pass


def fit(data: str, target: str, folder: str) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds and the `--json` output of one `metamed fit` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "metamed", "fit", data, "--target", target,
                           "--json", "--out", str(Path(folder) / "m.skops")],
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = json.loads(done.stdout)
    return wall, cpu, {k: v for k, v in result.items() if k not in TIMINGS}


def under_load(hogs: int, data: str, target: str, folder: str) -> tuple[float, float, dict]:
    """:func:`fit` while ``hogs`` processes spin."""
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=spin, args=(stop,)) for _ in range(hogs)]
    for spinner in spinners:
        spinner.start()
    try:
        return fit(data, target, folder)
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hogs", type=int, nargs="+", default=[0, 2, 3, 4])
    parser.add_argument("--data", default="examples/medical_data.csv")
    parser.add_argument("--target", default="label")
    args = parser.parse_args()
    rows, reference = [], None
    with tempfile.TemporaryDirectory() as folder:
        for hogs in args.hogs:
            wall, cpu, result = under_load(hogs, args.data, args.target, folder)
            reference = result if reference is None else reference
            changed = [k for k in reference if reference[k] != result.get(k)]
            rows.append({"competing processes": hogs, "fit wall (s)": round(wall, 1),
                         "fit CPU (s)": round(cpu, 1), "model": _ensemble(result),
                         "output vs first run": "identical" if not changed
                         else "changed: " + ", ".join(changed)})
    print(pd.DataFrame(rows).to_markdown(index=False))


def _ensemble(result: dict) -> str:
    return " + ".join(f"{name.split('-')[0]} {weight:.0%}" for name, weight in result["ensemble"])


if __name__ == "__main__":
    main()
