"""What differs between kinds of feature column, in one record per kind.

Why a record: numeric and categorical columns used to be two parameters
baked into the pipeline builder, the validator and the task summary, and
molecules arrived as a third set of special cases beside them. Each fact
about a kind is written once here (like a task type's
:class:`~metamed.kinds.Kind`); adding a kind of column means adding a
record and the pipeline branch it names.

How a column is *recognised* stays in :func:`metamed.data.columns.infer_kind`:
recognition is an ordered cascade of heuristics (a numeric ID before a
number, SMILES before free text) that reads best as one function.

The record is plain data: the pipeline branch is named by import path and
loaded when a pipeline is built, so importing this module costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class FeatureKind:
    """One kind of feature column: what its cells become, and how a pipeline reads them.

    Attributes
    ----------
    name : str
        The kind, as :attr:`Task.feature_types` holds it.
    text : bool
        Cells are kept as text (categories, SMILES); else as floats.
    branch : str
        Import path (``module:function``) of the pipeline branch builder:
        ``(config, positions, seed) -> [(name, step, positions)]``, where
        ``positions`` are the kind's column positions in the pipeline's input.
    indicators : bool
        Whether a config's missing-value indicators cover these columns (a
        molecule's missing row is its branch's business instead).
    keeps_levels : bool
        Whether the task summary (and so a model file) keeps the column's
        training values: a category's levels, to tell unseen levels at
        prediction time. A molecule's SMILES are never kept.
    """

    name: str
    text: bool
    branch: str
    indicators: bool
    keeps_levels: bool

    def build_branch(self, config: dict, positions: slice, seed: int) -> list[tuple]:
        """The column-transformer branches for these columns."""
        module, name = self.branch.split(":")
        builder: Any = getattr(import_module(module), name)
        return builder(config, positions, seed)


#: Every kind of feature column, in the order a pipeline lays them out.
FEATURE_KINDS: dict[str, FeatureKind] = {
    kind.name: kind for kind in (
        FeatureKind("numeric", text=False, branch="metamed.space.build:numeric_branch",
                    indicators=True, keeps_levels=False),
        FeatureKind("categorical", text=True, branch="metamed.space.build:categorical_branch",
                    indicators=True, keeps_levels=True),
        FeatureKind("molecule", text=True, branch="metamed.space.build:molecule_branch",
                    indicators=False, keeps_levels=False),
    )
}
