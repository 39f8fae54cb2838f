"""What a meta-learner answers: one recommended config, with its reason.

Apart from the learners because every model file holds its
recommendations: loading one reads this record without the learners.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Recommendations a search evaluates unless told otherwise (and a portfolio's default size).
N_CANDIDATES = 8


@dataclass(frozen=True)
class Recommendation:
    """One recommended pipeline config.

    Attributes
    ----------
    config : dict
    config_hash : str
    expected_score : float
        The learner's estimate of the config's ROC AUC (R² for a regression) on the new task.
    rationale : str
        Why it is recommended, in words.
    """

    config: dict
    config_hash: str
    expected_score: float
    rationale: str
