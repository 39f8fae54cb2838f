"""Stored predictions for replaying selection policies: what each held-out task's search sees.

For every corpus task of the shipped KB, the default learner is fitted on
the KB *without that task and its family* and recommends its candidates;
those configs, the single best config of the other tasks and the plain
logistic regression are cross-validated (5 folds, the KB build's code and
caps) and their out-of-fold predictions stored in a KB file. The
development half of the tasks comes first, so a stopped run still serves
the half where thresholds are chosen; running the command again resumes.

Usage: python benchmarks/replay_data.py --db artifacts/replay.sqlite [--workers 2]
Then: python benchmarks/replay.py --db artifacts/replay.sqlite
"""

from __future__ import annotations

import argparse
import time

from metamed import corpus
from metamed.automl.estimator import load_metadata
from metamed.automl.loto import task_halves
from metamed.knowledge import open_storage
from metamed.knowledge.build import BuildSettings, build
from metamed.knowledge.metadata import MetaData
from metamed.learners import DEFAULT_LEARNER, N_CANDIDATES, make_learner
from metamed.space import config_hash, named_config

#: The replay's CV protocol: the search's 5 folds, the KB build's seed.
SETTINGS = {"n_splits": 5, "seed": 0}


def candidate_configs(metadata: MetaData, task_id: str) -> list[dict]:
    """What the search would try on ``task_id``: recommendations, the single best, plain LR."""
    visible = metadata.without(task_id)
    vector = metadata.metafeatures[metadata.task_ids.index(task_id)]
    found = [r.config for r in make_learner(DEFAULT_LEARNER).fit(visible).recommend(
        vector, N_CANDIDATES)]
    found += [make_learner("single_best").fit(visible).recommend(vector, 1)[0].config,
              named_config("logreg")]
    unique = {config_hash(c): c for c in found}
    return list(unique.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="artifacts/replay.sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    metadata = load_metadata(None)
    development, test = task_halves(metadata)
    storage = open_storage(args.db)
    families = {e.slug: e.family for e in corpus.entries()}
    settings = BuildSettings(**SETTINGS, workers=args.workers, timeout=args.timeout)
    started = time.perf_counter()
    for i, task_id in enumerate(development + test, 1):
        configs = candidate_configs(metadata, task_id)
        fits = build(storage, [task_id], configs, settings, families=families,
                     load=corpus.load_task)
        print(f"{i}/{len(metadata.task_ids)} {task_id}: {len(configs)} configs, {fits} fits, "
              f"{time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
