"""The clinical HTML report: one self-contained file a clinician and a reviewer can read.

``write_report(model, path, task)`` turns a fitted
:class:`~metamed.automl.estimator.MetaClassifier` (and, optionally, the table it
was trained on) into a single HTML file: data summary, why these pipelines,
honest performance with 95% CIs and the curves behind it, what drives the
model, and a TRIPOD+AI-style model card. Every performance figure is drawn
from the outer-CV probabilities (``oof_proba_``), the same predictions the
intervals come from. No patient-level row appears unless ``include_rows``.
"""

from metamed.lazy import lazy_attributes

#: Imported on first use (:mod:`metamed.lazy`): ``metamed fit`` prints its terminal
#: summary from :mod:`metamed.report.terminal` without importing matplotlib.
_HOMES = {"build_report": "metamed.report.document", "write_report": "metamed.report.document",
          "task_codes": "metamed.report.sections"}
__getattr__ = lazy_attributes(__name__, _HOMES)
__all__ = list(_HOMES)
