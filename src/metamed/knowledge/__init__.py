"""The knowledge base: what worked on which medical task.

``open_storage(url)`` gives a :class:`BaseStorage` (SQLite by path, or
PostgreSQL by URL); :mod:`metamed.knowledge.build` fills it. SQLAlchemy is
imported only when a storage is opened (PEP 562 for ``RDBStorage``): the
modules here that only read meta-data, and loading a model, never need it.
"""

from metamed.knowledge.storage import SCHEMA_VERSION, BaseStorage, EvaluationRecord, TaskRecord


def open_storage(url: str | None = None, *, read_only: bool = False) -> BaseStorage:
    """The storage behind ``url`` (a SQLAlchemy URL or a SQLite file path).

    Without a URL, the knowledge base shipped with metamed (unpacked on
    first use, :mod:`metamed.knowledge.shipped`), read-only. A read-only
    storage must exist already: reading never creates a file.
    """
    from metamed.knowledge.rdb import RDBStorage
    from metamed.knowledge.shipped import unpacked

    if url is None:
        return RDBStorage(str(unpacked()), read_only=True)
    return RDBStorage(url, read_only=read_only)


def __getattr__(name: str) -> object:
    if name == "RDBStorage":
        from metamed.knowledge.rdb import RDBStorage

        return RDBStorage
    raise AttributeError(f"module 'metamed.knowledge' has no attribute {name!r}")


__all__ = [
    "SCHEMA_VERSION", "BaseStorage", "EvaluationRecord", "RDBStorage", "TaskRecord",
    "open_storage",
]
