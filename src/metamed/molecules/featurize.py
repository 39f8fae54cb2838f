"""Molecules (SMILES) to numbers: the fingerprints and descriptors a config may choose.

How to featurise a molecule is meta-knowledge (issue 23): which
fingerprint, at which radius and size, bits or counts, suits which kind
of data is learnt from the molecular tasks, so the featuriser is a
scikit-learn transformer whose parameters are a config's, not a fixed
preprocessing step. RDKit's generators are called directly (not through
scikit-fingerprints, which pins an older RDKit and fails a whole batch on
one invalid SMILES).

The transformer keeps nothing from the training molecules (it is
stateless), so a model file that holds it holds no structure of the
training set. A SMILES that RDKit cannot parse becomes a row of NaN:
deciding whether that row is dropped, refused or imputed, and saying so,
belongs to the data layer (:mod:`metamed.molecules.detect`), not here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

#: The featurisations a config may name; ``rdkit2d`` is RDKit's 2D descriptor set.
KINDS = ("ecfp", "fcfp", "atompair", "torsion", "maccs", "rdkit2d")
#: The fingerprint length of the default featurisation (ECFP4, 1,024 bits).
DEFAULT_BITS = 1024
#: Kinds whose length is fixed by the method, not by ``n_bits`` (RDKit's MACCS bit 0 is unused).
FIXED_LENGTH = {"maccs": 167}


class MolecularFeatures(TransformerMixin, BaseEstimator):
    """Turn a column of SMILES into a fingerprint or descriptor matrix.

    Parameters
    ----------
    kind : {"ecfp", "fcfp", "atompair", "torsion", "maccs", "rdkit2d"}
        Morgan (ECFP) or feature-Morgan (FCFP) circular fingerprints, atom
        pairs, topological torsions, the 166 MACCS keys, or RDKit's 2D
        descriptors (about 210 numbers, cached per molecule: ~10 ms each).
    radius : int
        Morgan radius (ECFP4 is radius 2); ignored by the other kinds.
    n_bits : int
        Folded length of the hashed fingerprints.
    counts : bool
        Count how often each hashed feature occurs instead of a 0/1 bit.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one column of SMILES.
    """

    def __init__(self, kind: str = "ecfp", radius: int = 2, n_bits: int = DEFAULT_BITS,
                 counts: bool = False) -> None:
        self.kind = kind
        self.radius = radius
        self.n_bits = n_bits
        self.counts = counts

    def fit(self, X, y=None) -> MolecularFeatures:
        """Check the parameters; nothing is learnt from the molecules."""
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}.")
        if self.kind in ("ecfp", "fcfp") and not (isinstance(self.radius, int)
                                                  and 0 <= self.radius <= 6):
            raise ValueError(f"radius must be an integer from 0 to 6; got {self.radius!r}.")
        if not (isinstance(self.n_bits, int) and 16 <= self.n_bits <= 16384):
            raise ValueError(f"n_bits must be an integer from 16 to 16384; got {self.n_bits!r}.")
        self.n_features_in_ = 1
        return self

    def transform(self, X) -> np.ndarray:
        """One row per SMILES; a row of NaN where RDKit cannot read the molecule."""
        check_is_fitted(self, "n_features_in_")
        smiles = _one_column(X)
        rows = np.full((len(smiles), self.n_output_features()), np.nan)
        for i, text in enumerate(smiles):
            found = _cached(text, self.kind, self.radius, self.n_bits, self.counts) \
                if isinstance(text, str) else None
            if found is not None:
                rows[i] = found
        return rows

    def n_output_features(self) -> int:
        """Columns of the output: ``n_bits`` for hashed fingerprints, fixed otherwise."""
        if self.kind == "rdkit2d":
            return len(_descriptor_names())
        return FIXED_LENGTH.get(self.kind, self.n_bits)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        if self.kind == "rdkit2d":
            return np.array([f"rdkit2d_{name}" for name in _descriptor_names()], dtype=object)
        prefix = f"{self.kind}{2 * self.radius}" if self.kind in ("ecfp", "fcfp") else self.kind
        return np.array([f"{prefix}_{j}" for j in range(self.n_output_features())],
                        dtype=object)


def parse(text: object):
    """The RDKit molecule of a SMILES string, or None (RDKit's parse errors are silenced)."""
    if not isinstance(text, str) or not text.strip():
        return None
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return Chem.MolFromSmiles(text.strip())


def canonical(mol) -> str:
    """RDKit's canonical SMILES: one key per molecule, however it was written."""
    from rdkit import Chem

    return Chem.MolToSmiles(mol)


@lru_cache(maxsize=50_000)
def _cached(text: str, kind: str, radius: int, n_bits: int, counts: bool) -> np.ndarray | None:
    """One molecule's features (None if unreadable), cached: a search featurises the same
    molecules for every config, fold and outer fold, and parsing is most of the cost."""
    mol = parse(text)
    if mol is None:
        return None
    if kind == "maccs":
        values = _maccs(mol)
    elif kind == "rdkit2d":
        values = _descriptors(canonical(mol))
    else:
        generator = _generator(kind, radius, n_bits)
        values = (generator.GetCountFingerprintAsNumPy(mol) if counts
                  else generator.GetFingerprintAsNumPy(mol))
    values = np.array(values, copy=True)
    values.setflags(write=False)
    return values


def _one_column(X) -> list:
    """The SMILES of a 1-D input or of a one-column frame or array."""
    values = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X, dtype=object)
    if values.ndim == 2:
        if values.shape[1] != 1:
            raise ValueError(f"MolecularFeatures takes one column of SMILES; got "
                             f"{values.shape[1]}.")
        values = values[:, 0]
    return list(values)


@lru_cache(maxsize=32)
def _generator(kind: str, radius: int, n_bits: int):
    from rdkit.Chem import rdFingerprintGenerator as generators

    if kind == "ecfp":
        return generators.GetMorganGenerator(radius=radius, fpSize=n_bits)
    if kind == "fcfp":
        return generators.GetMorganGenerator(
            radius=radius, fpSize=n_bits,
            atomInvariantsGenerator=generators.GetMorganFeatureAtomInvGen())
    if kind == "atompair":
        return generators.GetAtomPairGenerator(fpSize=n_bits)
    return generators.GetTopologicalTorsionGenerator(fpSize=n_bits)


def _maccs(mol) -> np.ndarray:
    from rdkit import DataStructs
    from rdkit.Chem import MACCSkeys

    keys = MACCSkeys.GenMACCSKeys(mol)
    bits = np.zeros(keys.GetNumBits())
    DataStructs.ConvertToNumpyArray(keys, bits)
    return bits


@lru_cache(maxsize=1)
def _descriptor_names() -> tuple[str, ...]:
    from rdkit.Chem import Descriptors

    return tuple(name for name, _ in Descriptors.descList)


@lru_cache(maxsize=100_000)
def _descriptors(smiles: str) -> np.ndarray:
    """RDKit's 2D descriptors of one molecule, cached by canonical SMILES (about 10 ms
    each): the same molecule written two ways is computed once."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    found = Descriptors.CalcMolDescriptors(Chem.MolFromSmiles(smiles))
    values = np.array([found[name] for name in _descriptor_names()], dtype=float)
    values[~np.isfinite(values)] = np.nan  # a few descriptors overflow on large molecules
    values.setflags(write=False)
    return values
