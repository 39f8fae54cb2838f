"""Stage 1 of the flow: a user's or a package's table becomes a validated :class:`Task`.

* :mod:`metamed.data.task` — the Task and its provenance;
* :mod:`metamed.data.columns` — column type inference;
* :mod:`metamed.data.validation` — the one input-checking layer (``make_task``);
* :mod:`metamed.data.io` — reading CSV / TSV / Parquet / Excel (``load_task``).

Only the light types are imported here, so ``import metamed`` stays fast.
"""

from metamed.data.task import FeatureType, Provenance, Task

__all__ = ["FeatureType", "Provenance", "Task"]
