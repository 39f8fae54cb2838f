"""How often the recommended featurisation is the held-out molecular task's best.

Usage: python benchmarks/featurisation_choice.py --kb artifacts/kb.sqlite
       [--task molecules|molecule_classes] [--learners local,ranker]

Leave-one-task-out over the knowledge base's molecular tasks of one kind (the
regressions, or the active-or-not classifications; each held out with its
target family): each learner, fitted on the rest, recommends its top config;
that config's featurisation is compared with the featurisation of the
held-out task's best config in the KB (its cross-validated R² or ROC AUC),
and its KB score with the kind's baseline's (the SVM on ECFP4). "always
ECFP4 bits" is the featurisation a user would pick without meta-knowledge,
for reference.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from metamed.automl.procedure import load_metadata
from metamed.learners import make_learner
from metamed.space import config_hash, named_config


def featurisation(config: dict) -> str:
    """A config's featurisation as a short label (method, bits or counts)."""
    step = config["featurize"]
    counts = "counts" if step.get("counts") else "bits" if "n_bits" in step else ""
    return " ".join(str(p) for p in (step["method"], step.get("n_bits", ""), counts) if p)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", required=True)
    parser.add_argument("--task", default="molecules", choices=("molecules", "molecule_classes"))
    parser.add_argument("--learners", default="local,ranker,nearest,single_best")
    args = parser.parse_args()
    metadata = load_metadata(args.kb, args.task)
    baseline = metadata.config_hashes.index(config_hash(named_config(metadata.kind.baseline)))
    rows = []
    for t, task_id in enumerate(metadata.task_ids):
        visible = metadata.without(task_id)
        best = metadata.configs[int(np.nanargmax(metadata.scores[t]))]
        for name in args.learners.split(","):
            top = make_learner(name).fit(visible).recommend(metadata.metafeatures[t], 1)[0]
            column = metadata.config_hashes.index(top.config_hash)
            rows.append({"task": task_id, "learner": name,
                         "same_featurisation": featurisation(top.config) == featurisation(best),
                         "gain": metadata.scores[t, column] - metadata.scores[t, baseline]})
        rows.append({"task": task_id, "learner": "always ECFP4 bits",
                     "same_featurisation": featurisation(best) == "ecfp 1024 bits",
                     "gain": 0.0})
    gain = f"mean_gain_{metadata.kind.primary}_over_{metadata.kind.baseline}"
    table = pd.DataFrame(rows).groupby("learner").agg(
        tasks=("task", "size"), best_featurisation=("same_featurisation", "mean"),
        **{gain: ("gain", "mean")})
    print(table.round(3).to_markdown())
    best = [featurisation(metadata.configs[int(np.nanargmax(row))]) for row in metadata.scores]
    print("\nbest featurisation per task:", pd.Series(best).value_counts().to_dict())


if __name__ == "__main__":
    main()
