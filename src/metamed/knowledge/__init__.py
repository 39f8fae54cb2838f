"""The knowledge base: what worked on which medical task.

``open_storage(url)`` gives a :class:`BaseStorage` (SQLite by path, or
PostgreSQL by URL); :mod:`metamed.knowledge.build` fills it.
"""

from pathlib import Path

from metamed.knowledge.rdb import RDBStorage
from metamed.knowledge.storage import SCHEMA_VERSION, BaseStorage, EvaluationRecord, TaskRecord

#: The knowledge base shipped inside the package (built by `metamed kb build`, see README).
SHIPPED_KB = Path(__file__).resolve().parent / "kb.sqlite"


def open_storage(url: str | None = None, *, read_only: bool = False) -> BaseStorage:
    """The storage behind ``url`` (a SQLAlchemy URL or a SQLite file path).

    Without a URL, the knowledge base shipped with metamed, read-only. A
    read-only storage must exist already: reading never creates a file.
    """
    if url is None:
        return RDBStorage(str(SHIPPED_KB), read_only=True)
    return RDBStorage(url, read_only=read_only)


__all__ = [
    "SCHEMA_VERSION", "SHIPPED_KB", "BaseStorage", "EvaluationRecord", "RDBStorage", "TaskRecord",
    "open_storage",
]
