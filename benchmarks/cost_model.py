"""How well the cost model predicts a fold's seconds on tasks it was not fitted on.

The shipped KB's tasks are split by size order into halves; the model is
fitted on one and predicts the other's recorded fold times (both ways).
Usage: python benchmarks/cost_model.py
"""

from __future__ import annotations

import numpy as np

from metamed.automl.costs import CostModel
from metamed.automl.loto import task_halves
from metamed.automl.procedure import load_metadata
from metamed.knowledge.metadata import MetaData


def held_out_errors(metadata: MetaData, fit_on: list[str], judge_on: list[str]) -> np.ndarray:
    """|log(predicted / recorded)| of every timed (task, config) of ``judge_on``."""
    model = CostModel.from_metadata(_only(metadata, fit_on))
    errors = []
    for task_id in judge_on:
        t = metadata.task_ids.index(task_id)
        for j, (config, digest) in enumerate(zip(metadata.configs, metadata.config_hashes,
                                                 strict=True)):
            recorded = metadata.seconds[t, j]
            if np.isfinite(recorded) and recorded > 0:
                predicted = model.seconds(config, digest, metadata.metafeatures[t])
                errors.append(abs(np.log(predicted / recorded)))
    return np.asarray(errors)


def _only(metadata: MetaData, task_ids: list[str]) -> MetaData:
    for task_id in set(metadata.task_ids) - set(task_ids):
        if task_id in metadata.task_ids:
            metadata = metadata.without(task_id)
    return metadata


def main() -> None:
    metadata = load_metadata(None, "classification")
    first, second = task_halves(metadata)
    errors = np.r_[held_out_errors(metadata, first, second),
                   held_out_errors(metadata, second, first)]
    factors = np.exp(np.quantile(errors, [0.5, 0.9]))
    print(f"{len(errors)} held-out fold times: predicted within a factor of {factors[0]:.2f} "
          f"(median) and {factors[1]:.2f} (90th percentile); more than 2x off: "
          f"{np.mean(errors > np.log(2)):.0%}")


if __name__ == "__main__":
    main()
