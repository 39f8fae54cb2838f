"""metamed: meta-learning for small medical tabular datasets."""

from metamed.errors import MetamedError
from metamed.task import Provenance, Task

__version__ = "0.1.0"

__all__ = ["MetamedError", "Provenance", "Task", "__version__"]
