"""What a set of molecules is like: the meta-features that describe a molecular task.

Which featurisation and which model suit a molecular task depends on how
big and how alike its molecules are and on how rough its activity
landscape is (MoleculeACE: activity cliffs, near-identical molecules with
a tenfold potency difference, are where every method fails most). These
numbers are computed on the training molecules only, like every other
meta-feature.

Activity cliffs follow MoleculeACE's definition: a pair is alike when the
Tanimoto similarity (ECFP4, 1,024 bits) of the molecules or of their graph
frameworks (every atom a carbon, every bond single), or the normalised
edit-distance similarity of their SMILES, is at least 0.9; it is a cliff
when, in addition, their activities are more than one log unit (tenfold)
apart. Agreement with MoleculeACE's own ``cliff_mol`` flags is measured in
docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metamed.molecules.featurize import canonical, parse

#: Meta-feature names, in the order :func:`molecule_metafeatures` returns them.
NAMES = ("log_molecules", "mean_heavy_atoms", "sd_heavy_atoms", "mean_nn_similarity",
         "scaffold_share", "activity_range", "activity_sd", "cliff_share")
#: Alike enough to make a cliff (the largest of the three similarities), and far enough
#: apart in activity (log10 units).
CLIFF_SIMILARITY, CLIFF_ACTIVITY = 0.9, 1.0
#: At most this many molecules enter the O(n^2) similarity statistics (a seeded sample).
MAX_PAIRWISE = 4000


def molecule_metafeatures(smiles: Sequence[str], activity: np.ndarray | None = None,
                          seed: int = 0, max_pairwise: int = MAX_PAIRWISE) -> dict[str, float]:
    """The meta-features of these molecules (unreadable SMILES are left out).

    ``activity`` (e.g. pIC50 or pKi) gives the activity range, spread and
    cliff share; without it those are NaN. The similarity statistics use a
    seeded sample of at most ``max_pairwise`` molecules.
    """
    mols, texts, keep = _readable(smiles)
    if len(mols) < 2:
        raise ValueError("molecule meta-features need at least two readable molecules.")
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(mols), min(len(mols), max_pairwise), replace=False))
    picked, picked_texts = [mols[i] for i in sample], [texts[i] for i in sample]
    atoms = np.array([m.GetNumHeavyAtoms() for m in mols], dtype=float)
    found = {"log_molecules": float(np.log(len(mols))), "mean_heavy_atoms": atoms.mean(),
             "sd_heavy_atoms": atoms.std(),
             "mean_nn_similarity": float(_nearest(picked).mean()),
             "scaffold_share": len({_scaffold(m) for m in mols}) / len(mols),
             "activity_range": np.nan, "activity_sd": np.nan, "cliff_share": np.nan}
    if activity is not None:
        values = np.asarray(activity, dtype=float)[keep]
        found.update(activity_range=float(np.ptp(values)), activity_sd=float(values.std()),
                     cliff_share=float(_cliffs(_similarities(picked, picked_texts),
                                                 values[sample]).mean()))
    return {name: float(found[name]) for name in NAMES}


def cliff_molecules(smiles: Sequence[str], activity: np.ndarray) -> np.ndarray:
    """Per molecule, whether it is part of an activity cliff (False where unreadable)."""
    mols, texts, keep = _readable(smiles)
    flags = np.zeros(len(smiles), dtype=bool)
    flags[keep] = _cliffs(_similarities(mols, texts), np.asarray(activity, dtype=float)[keep])
    return flags


def _readable(smiles: Sequence[str]) -> tuple[list, list[str], np.ndarray]:
    """The molecules RDKit reads, their SMILES as written, and which rows they are."""
    parsed = [parse(s) for s in smiles]
    keep = np.array([m is not None for m in parsed], dtype=bool)
    return ([m for m in parsed if m is not None],
            [str(s).strip() for s, ok in zip(smiles, keep, strict=True) if ok], keep)


def _fingerprints(mols: list) -> list:
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    return [generator.GetFingerprint(m) for m in mols]


def _tanimoto(prints: list) -> np.ndarray:
    """All pairwise Tanimoto similarities, the diagonal set to NaN."""
    from rdkit import DataStructs

    matrix = np.array([DataStructs.BulkTanimotoSimilarity(p, prints) for p in prints])
    np.fill_diagonal(matrix, np.nan)
    return matrix


def _similarities(mols: list, smiles: list[str]) -> np.ndarray:
    """Per pair, the largest of three similarities: molecules, frameworks, SMILES text."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    molecules = _tanimoto(_fingerprints(mols))
    frameworks = _tanimoto(_fingerprints([_framework(m) for m in mols]))
    text = process.cdist(smiles, smiles, scorer=Levenshtein.normalized_similarity,
                         dtype=np.float32)
    np.fill_diagonal(text, np.nan)
    return np.fmax(np.fmax(molecules, frameworks), text)


def _nearest(mols: list) -> np.ndarray:
    """Each molecule's similarity to its nearest neighbour (the molecules' own ECFP4)."""
    return np.nanmax(_tanimoto(_fingerprints(mols)), axis=1)


def _cliffs(similarity: np.ndarray, activity: np.ndarray) -> np.ndarray:
    apart = np.abs(activity[:, None] - activity[None, :]) > CLIFF_ACTIVITY
    return ((similarity >= CLIFF_SIMILARITY) & apart).any(axis=1)


def _framework(mol):
    """The molecule with every atom a carbon and every bond single (its graph framework)."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    try:
        return MurckoScaffold.MakeScaffoldGeneric(mol)
    except ValueError:  # rare valence failures: the Murcko scaffold stands in
        return MurckoScaffold.GetScaffoldForMol(mol)


def _scaffold(mol) -> str:
    """The Bemis-Murcko scaffold (ring systems and linkers), as canonical SMILES."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    return canonical(MurckoScaffold.GetScaffoldForMol(mol))
