"""The knowledge base: what worked on which medical task.

``open_storage(url)`` gives a :class:`BaseStorage` (SQLite by path, or
PostgreSQL by URL); :mod:`metamed.knowledge.build` fills it.
"""

from metamed.knowledge.rdb import RDBStorage
from metamed.knowledge.storage import SCHEMA_VERSION, BaseStorage, EvaluationRecord, TaskRecord


def open_storage(url: str) -> BaseStorage:
    """The storage behind ``url``: a SQLAlchemy URL, or a file path for SQLite."""
    return RDBStorage(url)


__all__ = [
    "SCHEMA_VERSION", "BaseStorage", "EvaluationRecord", "RDBStorage", "TaskRecord",
    "open_storage",
]
