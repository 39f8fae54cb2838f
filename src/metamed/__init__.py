"""metamed: meta-learning for small medical tabular datasets.

The public names are imported on first use (PEP 562), so the command line
and ``import metamed`` do not pay for pandas and scikit-learn until they
need them (``metamed --version`` needs neither).
"""

from metamed.errors import MetamedError
from metamed.lazy import lazy_attributes

__version__ = "0.1.0"

__all__ = ["MetaClassifier", "MetaRegressor", "MetamedError", "Provenance", "Task",
           "__version__"]

#: Each name imported on first use, and the module that defines it.
_LAZY = {"MetaClassifier": "metamed.automl.estimator", "MetaRegressor": "metamed.automl.estimator",
         "Provenance": "metamed.data.task", "Task": "metamed.data.task"}


__getattr__ = lazy_attributes(__name__, _LAZY)
