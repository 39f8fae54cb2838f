"""The baseline to beat on molecules: SVR on ECFP4, on MoleculeACE's own protocol.

Usage: python benchmarks/moleculeace.py [--wheel PATH]

Issue 23 makes SVR (RBF, C=10, gamma=0.01) on ECFP4 (Morgan radius 2,
1,024 bits) the molecular baseline, the strongest method of MoleculeACE's
published benchmark: mean test RMSE 0.671 and 0.751 on the activity-cliff
compounds over its 30 sets (2023 results file). This reproduces it with
metamed's own featuriser (:class:`metamed.molecules.featurize.MolecularFeatures`):
fit on ``split == train``, score on ``split == test``, RMSE on all test
compounds and on those flagged ``cliff_mol``. The wheel is downloaded once
by ``python -m metamed.molecules.sources`` (PyPI, no dependencies).

Beside it, the molecular meta-features of each set's training molecules
(:mod:`metamed.molecules.metafeatures`) with the seconds they took, and how
the substructure-only cliff flags compare with MoleculeACE's ``cliff_mol``
on the same molecules (its share of flagged molecules; ours; the share of
ours that it also flags).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.svm import SVR

from metamed.molecules.featurize import MolecularFeatures
from metamed.molecules.metafeatures import cliff_molecules, molecule_metafeatures
from metamed.molecules.sources import moleculeace_sets

#: MoleculeACE's published means for SVM on ECFP (test RMSE, cliff RMSE).
PUBLISHED = (0.671, 0.751)


def score_set(frame: pd.DataFrame) -> dict:
    """Fit the baseline on the set's train split; RMSE on its test split and its cliffs."""
    features = MolecularFeatures(kind="ecfp", radius=2, n_bits=1024).fit(frame["smiles"])
    X = features.transform(frame["smiles"])
    train, test = (frame["split"] == "train").to_numpy(), (frame["split"] == "test").to_numpy()
    model = SVR(kernel="rbf", C=10, gamma=0.01).fit(X[train], frame["y"][train])
    error = model.predict(X[test]) - frame["y"][test].to_numpy()
    cliff = frame["cliff_mol"][test].to_numpy() == 1
    return {"compounds": len(frame), "test": int(test.sum()), "cliffs": int(cliff.sum()),
            "rmse": float(np.sqrt(np.mean(error ** 2))),
            "cliff_rmse": float(np.sqrt(np.mean(error[cliff] ** 2)))}


def describe_set(frame: pd.DataFrame) -> dict:
    """Meta-features of the training molecules, their seconds, and cliff flags vs cliff_mol."""
    train = frame[frame["split"] == "train"]
    started = time.perf_counter()
    found = molecule_metafeatures(train["smiles"].tolist(), train["y"].to_numpy())
    seconds = time.perf_counter() - started
    ours = cliff_molecules(frame["smiles"].tolist(), frame["y"].to_numpy())
    theirs = frame["cliff_mol"].to_numpy() == 1
    return {"nn_similarity": found["mean_nn_similarity"], "scaffolds": found["scaffold_share"],
            "cliff_mol share": theirs.mean(), "our cliff share": ours.mean(),
            "ours also theirs": (ours & theirs).sum() / max(ours.sum(), 1),
            "metafeature s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = [{"set": name, **score_set(frame), **describe_set(frame)}
            for name, frame in moleculeace_sets(args.wheel).items()]
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False, floatfmt=".3f"))
    print(f"\nmean test RMSE {table['rmse'].mean():.3f} (published {PUBLISHED[0]}), "
          f"cliff RMSE {table['cliff_rmse'].mean():.3f} (published {PUBLISHED[1]}); "
          f"{len(table)} sets in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
