"""Few-shot learning: adapt to a new diagnosis from K labelled examples per class.

Episodes (:mod:`.episodes`) and sources (:mod:`.sources`) need only numpy;
the algorithms (:mod:`.protonet`, :mod:`.maml`, :mod:`.reptile`), encoders
and the fine-tuned baseline need torch, installed with
``pip install 'metamed[fewshot]'``. Import them after :func:`require_torch`
so a missing torch is one clear sentence, not an ImportError.
"""

from __future__ import annotations

from metamed.errors import MetamedError
from metamed.fewshot.episodes import (
    Episode,
    EpisodeSampler,
    MetaDataset,
    split_by_class,
    split_by_task,
)

__all__ = ["Episode", "EpisodeSampler", "MetaDataset", "require_torch", "split_by_class",
           "split_by_task"]

TORCH_HINT = "few-shot learning needs torch; run pip install 'metamed[fewshot]'"


def require_torch() -> None:
    """Raise the one-line install hint when torch is missing."""
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise MetamedError(TORCH_HINT) from error
