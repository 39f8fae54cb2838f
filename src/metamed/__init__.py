"""metamed: meta-learning for small medical tabular datasets.

``MetaClassifier`` and ``MetaRegressor`` are imported on first use (PEP 562), so the command line
and ``import metamed`` do not pay for scikit-learn until they need it.
"""

from metamed.data.task import Provenance, Task
from metamed.errors import MetamedError

__version__ = "0.1.0"

__all__ = ["MetaClassifier", "MetaRegressor", "MetamedError", "Provenance", "Task",
           "__version__"]


def __getattr__(name: str) -> object:
    if name in ("MetaClassifier", "MetaRegressor"):
        from metamed.automl import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'metamed' has no attribute {name!r}")
