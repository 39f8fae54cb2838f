"""Where build units run: in this process, in a local process pool, or on Dask.

Every executor yields each unit's records as soon as that unit finishes, so
the caller can store them at once (a killed build loses only what was in
flight). A bounded window of submitted units keeps memory flat and lets
Ctrl-C stop promptly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metamed.errors import MetamedError
from metamed.knowledge.storage import EvaluationRecord
from metamed.knowledge.units import Unit, run_unit

Results = Iterator[list[EvaluationRecord]]


def run_units(units: Iterable[Unit], *, workers: int = 1, backend: str = "local",
              scheduler: str | None = None) -> Results:
    """Run units on the chosen backend, yielding records unit by unit."""
    if backend == "dask":
        return _run_dask(units, workers, scheduler)
    if backend != "local":
        raise MetamedError(f"unknown backend {backend!r}; use 'local' or 'dask'.")
    if workers <= 1:
        return (run_unit(unit) for unit in units)
    return _run_processes(units, workers)


def _run_processes(units: Iterable[Unit], workers: int) -> Results:
    from concurrent.futures import FIRST_COMPLETED, wait

    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=workers, timeout=60)
    pending: set = set()
    iterator = iter(units)
    try:
        while True:
            for unit in iterator:
                pending.add(executor.submit(run_unit, unit))
                if len(pending) >= 4 * workers:
                    break
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        for future in pending:
            future.cancel()


def _run_dask(units: Iterable[Unit], workers: int, scheduler: str | None) -> Results:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as error:
        raise MetamedError(
            "the Dask backend needs dask.distributed; run `pip install 'metamed[dask]'`."
        ) from error
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                               processes=True, dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        iterator = iter(units)
        window = as_completed()
        for unit in _take(iterator, 4 * max(1, workers)):
            window.add(client.submit(run_unit, unit, pure=False))
        for future in window:
            yield future.result()
            future.release()
            for unit in _take(iterator, 1):
                window.add(client.submit(run_unit, unit, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _take(iterator: Iterator[Unit], n: int) -> list[Unit]:
    taken = []
    for unit in iterator:
        taken.append(unit)
        if len(taken) == n:
            break
    return taken
