"""The search space as data: every step, every variant, every range.

A pipeline config has one dict per step, in this order: ``impute``,
``encode``, ``scale``, ``select``, ``model``, and, for a table with a
molecule column, ``featurize`` (optional: absent, it means ECFP4). The key named by a step's
selector (``numeric``, ``method`` or ``name``) picks the variant; the other
keys are that variant's parameters. Defaults are the libraries' own defaults
(except where the comments say why not), so ``{"model": {"name": "rf"}}``
means scikit-learn's random forest as shipped.

Ranges are the sampling ranges of the default portfolio: wide enough to
matter, narrow enough that no sample is absurd on a 40-row table or slow on a
20,000-row one. The ``model`` step's variants are the model families'
records (:mod:`metamed.space.families`).

:data:`SPACE_VERSION` is a digest of this definition. A config's hash
depends on the steps, variants, parameters and defaults, so the knowledge
base records the version its hashes were computed under and refuses another.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping

from metamed.space.families import MODEL_FAMILIES
from metamed.space.params import Choice, Domain, Float, Int, Section

_SELECT_FRACTION = Float(0.05, 0.9, 0.5)

# Rare levels (under 2% of rows) and levels beyond the 20 most frequent are
# grouped: medical codes with hundreds of levels must not explode the width.
_RARE_LEVELS: dict[str, Domain] = {
    "min_frequency": Float(0.005, 0.1, 0.02, log=True),
    "max_categories": Int(4, 50, 20, log=True),
}

#: A hashed fingerprint's length and whether it counts substructures or marks them.
_FINGERPRINT: dict[str, Domain] = {
    "n_bits": Choice((512, 1024, 2048), 1024),
    "counts": Choice((False, True), False),
}


SPACE: dict[str, Section] = {
    "impute": Section(
        selector="numeric",
        variants={"median": {}, "mean": {}, "knn": {"neighbors": Int(2, 20, 5, log=True)}},
        default="median",
        common={
            "categorical": Choice(("most_frequent", "constant"), "most_frequent"),
            "indicators": Choice((True, False), True),
        },
    ),
    "encode": Section(
        selector="method",
        variants={"onehot": _RARE_LEVELS, "ordinal": _RARE_LEVELS, "target": {}},
        default="onehot",
    ),
    "scale": Section(
        selector="method",
        variants={"standard": {}, "robust": {}, "quantile": {}, "none": {}},
        default="standard",
    ),
    "select": Section(
        selector="method",
        variants={
            "none": {},
            "kbest": {"fraction": _SELECT_FRACTION},
            "l1": {"C": Float(0.01, 10.0, 1.0, log=True)},
            "trees": {"fraction": _SELECT_FRACTION},
        },
        default="none",
    ),
    "model": Section(selector="name", default="logreg",
                     variants={name: f.params for name, f in MODEL_FAMILIES.items()}),
    # How a molecule (SMILES) column becomes numbers; only configs for molecules name it.
    "featurize": Section(
        selector="method",
        variants={"ecfp": _FINGERPRINT | {"radius": Int(1, 3, 2)},
                  "fcfp": _FINGERPRINT | {"radius": Int(1, 3, 2)},
                  "atompair": _FINGERPRINT, "torsion": _FINGERPRINT,
                  "maccs": {}, "rdkit2d": {}},
        default="ecfp",
        optional=True,
    ),
}

#: Model family names, in portfolio order (the records are in :mod:`metamed.space.families`).
FAMILIES: tuple[str, ...] = tuple(MODEL_FAMILIES)


def space_version(space: Mapping[str, Section]) -> str:
    """A 12-hex-digit digest of a space's definition: steps, selectors, variants, parameters
    with their kind, range, default and condition.

    Any change to them changes it, so nobody has to remember to bump a number.
    It is computed from a canonical JSON text, not Python's ``hash()``, so it
    is the same in every process and Python version.
    """
    definition = {
        step: {"selector": section.selector, "default": section.default,
               "common": _domains(section.common),
               "variants": {name: _domains(params) for name, params in section.variants.items()},
               **({"optional": True} if section.optional else {})}
        for step, section in space.items()
    }
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _domains(params: Mapping[str, Domain]) -> dict[str, dict]:
    return {key: {"kind": type(domain).__name__,
                  **{f.name: getattr(domain, f.name) for f in dataclasses.fields(domain)}}
            for key, domain in params.items()}


#: The version of :data:`SPACE` that stored config hashes are computed under.
SPACE_VERSION: str = space_version(SPACE)
