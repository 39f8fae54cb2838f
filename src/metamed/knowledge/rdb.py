"""Knowledge-base storage in a relational database through SQLAlchemy.

SQLite (a single file, the default) and PostgreSQL (by URL, for teams and
clusters) share this code. Uniqueness constraints plus ``INSERT ... ON
CONFLICT DO NOTHING`` make every write idempotent; SQLite runs in WAL mode
with a long busy timeout so several local processes can write at once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metamed.errors import MetamedError, one_line
from metamed.evaluation.scoring import ALL_METRIC_NAMES
from metamed.knowledge.storage import (
    SCHEMA_VERSION,
    BaseStorage,
    EvaluationRecord,
    TaskRecord,
    check_space,
)
from metamed.space import SPACE_VERSION, config_hash, config_name

_metadata = sa.MetaData()

_info = sa.Table(
    "info", _metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
_tasks = sa.Table(
    "tasks", _metadata,
    sa.Column("task_id", sa.String(128), primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("n_features", sa.Integer, nullable=False),
    sa.Column("n_classes", sa.Integer, nullable=False),
    sa.Column("metafeatures", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("family", sa.String(128), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)
_configs = sa.Table(
    "configs", _metadata,
    sa.Column("config_hash", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("config", sa.Text, nullable=False),
)
_evaluations = sa.Table(
    "evaluations", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(128), sa.ForeignKey("tasks.task_id"), nullable=False),
    sa.Column("config_hash", sa.String(64), sa.ForeignKey("configs.config_hash"), nullable=False),
    sa.Column("repeat", sa.Integer, nullable=False),
    sa.Column("fold", sa.Integer, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("fit_seconds", sa.Float, nullable=False),
    sa.Column("predict_seconds", sa.Float, nullable=False),
    *[sa.Column(name, sa.Float, nullable=True) for name in ALL_METRIC_NAMES],
    sa.UniqueConstraint("task_id", "config_hash", "repeat", "fold", "seed", name="one_fit"),
)
#: Kept apart from the scores so that reading scores (every ``fit``) never reads blobs.
_predictions = sa.Table(
    "predictions", _metadata,
    sa.Column("task_id", sa.String(128), sa.ForeignKey("tasks.task_id"), primary_key=True),
    sa.Column("config_hash", sa.String(64), sa.ForeignKey("configs.config_hash"),
              primary_key=True),
    sa.Column("repeat", sa.Integer, primary_key=True),
    sa.Column("fold", sa.Integer, primary_key=True),
    sa.Column("seed", sa.Integer, primary_key=True),
    sa.Column("proba", sa.LargeBinary, nullable=False),
)
_KEY = ("task_id", "config_hash", "repeat", "fold", "seed")


class RDBStorage(BaseStorage):
    """A :class:`BaseStorage` in SQLite or PostgreSQL.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL (``sqlite:///kb.sqlite``, ``postgresql://user@host/db``)
        or a plain file path, taken as a SQLite file.
    read_only : bool
        Open an existing knowledge base without ever writing to it: the KB
        shipped inside the package may sit in a read-only folder, and a
        command that only reads (``fit --kb``, ``kb info``) must not leave an
        empty file behind when it is given a wrong path.
    """

    def __init__(self, url: str, read_only: bool = False) -> None:
        self.url = _as_url(url)
        self.read_only = read_only
        self._engine = _connect(self.url, read_only)
        if not read_only:
            _create_schema(self._engine)
        self._check_version()
        if not read_only:
            self._check_space()

    def _check_version(self) -> None:
        """Refuse a later layout; an earlier one is read as it is, or upgraded if writable.

        Version 2 only added a table, which ``_create_schema`` has just
        created empty in a writable file; versions 3 and 4 added metric columns,
        which the upgrade adds (empty) to the stored evaluations.
        """
        with self._engine.begin() as connection:
            if not self.read_only:
                _insert_ignore(connection, _info, [{"key": "schema_version",
                                                     "value": str(SCHEMA_VERSION)}])
            stored = int(self._stored_version(connection))
        if not 1 <= stored <= SCHEMA_VERSION:
            raise MetamedError(
                f"knowledge base {self.url} has schema version {stored}, this metamed reads "
                f"versions up to {SCHEMA_VERSION}; rebuild it with `metamed kb build`."
            )
        if stored < SCHEMA_VERSION and not self.read_only:
            _retrying(lambda: self._upgrade(), sa.exc.DBAPIError, attempts=5)
            stored = SCHEMA_VERSION
        self._has_predictions = stored >= 2
        with self._engine.connect() as connection:
            self._evaluation_columns = {c["name"] for c in
                                        sa.inspect(connection).get_columns("evaluations")}

    def _check_space(self) -> None:
        """Refuse to write into a KB of another search space; record this one's where none is.

        A KB without a recorded version (new, or written before versions were
        recorded) gets the current one once :func:`check_space` has accepted it.
        """
        shown = self._engine.url.render_as_string(hide_password=True)
        check_space(self, f"the knowledge base {shown}")
        with self._engine.begin() as connection:
            _insert_ignore(connection, _info, [{"key": "space_version", "value": SPACE_VERSION}])

    def _stored_version(self, connection: sa.Connection) -> str:
        """The recorded schema version; a database without one is not a knowledge base."""
        try:
            return connection.execute(
                sa.select(_info.c.value).where(_info.c.key == "schema_version")
            ).scalar_one()
        except sa.exc.SQLAlchemyError as error:
            reason = one_line(getattr(error, "orig", None) or error)
            raise MetamedError(f"{self.url} is not a metamed knowledge base ({reason}).") from error

    def _upgrade(self) -> None:
        """Add the metric columns an earlier version lacks, and record the version."""
        with self._engine.begin() as connection:
            present = {c["name"] for c in sa.inspect(connection).get_columns("evaluations")}
            for name in ALL_METRIC_NAMES:
                if name not in present:
                    connection.execute(sa.text(f"ALTER TABLE evaluations ADD COLUMN {name} FLOAT"))
            _upsert(connection, _info, {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    "key")

    def add_tasks(self, tasks: list[TaskRecord]) -> None:
        rows = [
            {"task_id": t.task_id, "content_hash": t.content_hash, "n_rows": t.n_rows,
             "n_features": t.n_features, "n_classes": t.n_classes,
             "metafeatures": json.dumps(list(t.metafeatures)), "source": t.source,
             "family": t.family, "note": t.note}
            for t in tasks
        ]
        self._write([(_tasks, rows)])

    def add_configs(self, configs: list[dict]) -> None:
        rows = [
            {"config_hash": config_hash(c), "name": config_name(c),
             "config": json.dumps(c, sort_keys=True)}
            for c in configs
        ]
        self._write([(_configs, rows)])

    def add_evaluations(self, rows: list[EvaluationRecord]) -> None:
        """Scores and, where a fit produced them, its predictions, in one transaction."""
        records = [
            {"task_id": r.task_id, "config_hash": r.config_hash, "repeat": r.repeat,
             "fold": r.fold, "seed": r.seed, "status": r.status, "error": r.error[:2000],
             "fit_seconds": r.fit_seconds, "predict_seconds": r.predict_seconds,
             **{m: _finite_or_none(r.metrics.get(m)) for m in ALL_METRIC_NAMES}}
            for r in rows
        ]
        blobs = [dict(zip(_KEY, r.key, strict=True), proba=r.proba) for r in rows if r.proba]
        self._write([(_evaluations, records), (_predictions, blobs)])

    def set_info(self, key: str, value: str) -> None:
        """Record a fact about the KB (its version, the command that built it)."""
        with self._engine.begin() as connection:
            _upsert(connection, _info, {"key": key, "value": value}, "key")

    def info(self) -> dict[str, str]:
        """Facts recorded with :meth:`set_info`, plus the schema version."""
        frame = self._read(_info)
        return dict(zip(frame["key"], frame["value"], strict=True))

    def _write(self, batches: list[tuple[sa.Table, list[dict]]]) -> None:
        """Insert each table's new rows, all in one transaction."""
        if self.read_only:
            raise MetamedError(f"the knowledge base {self.url} is read-only; build into a copy.")
        with self._engine.begin() as connection:
            for table, rows in batches:
                if rows:
                    _insert_ignore(connection, table, rows)

    def done_keys(self) -> set[tuple[str, str, int, int, int]]:
        columns = [_evaluations.c[k] for k in _KEY]
        with self._engine.connect() as connection:
            return {tuple(row) for row in connection.execute(sa.select(*columns))}

    def tasks(self) -> pd.DataFrame:
        frame = self._read(_tasks)
        frame["metafeatures"] = frame["metafeatures"].map(lambda s: tuple(json.loads(s)))
        return frame.set_index("task_id")

    def configs(self) -> dict[str, dict]:
        frame = self._read(_configs)
        return dict(zip(frame["config_hash"], frame["config"].map(json.loads), strict=True))

    def evaluations(self) -> pd.DataFrame:
        """Every stored evaluation (the metric columns an earlier layout lacks are absent)."""
        stored = [c for c in _evaluations.c if c.name in self._evaluation_columns]
        return self._plain_frame(sa.select(*stored)).drop(columns=["id"])

    def predictions(self, task_id: str) -> pd.DataFrame:
        if not self._has_predictions:
            return pd.DataFrame(columns=[*_KEY, "proba"])
        return self._read(_predictions, _predictions.c.task_id == task_id)

    def _read(self, table: sa.Table, where=None) -> pd.DataFrame:
        query = sa.select(table) if where is None else sa.select(table).where(where)
        with self._engine.connect() as connection:
            result = connection.execute(query)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def _plain_frame(self, query: sa.Select) -> pd.DataFrame:
        """The rows of ``query`` (text and numbers only) as the driver's plain tuples.

        SQLAlchemy's row objects cost four times the fetch itself: reading
        the shipped KB's 108,000 evaluations took 1.7 s that way, 0.65 s so.
        Only for columns the driver returns as Python values already (no
        bytes, which PostgreSQL's driver gives as memoryview).
        """
        with self._engine.connect() as connection:
            result = connection.execute(query)
            columns = list(result.keys())
            return pd.DataFrame(result.cursor.fetchall(), columns=columns)

    def close(self) -> None:
        """Release every pooled connection (needed before the file is rewritten)."""
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"RDBStorage({self._engine.url.render_as_string(hide_password=True)!r})"


def sqlite_file(url: str) -> str | None:
    """The file path behind a SQLite URL or plain path; None for a server database."""
    full = _as_url(url)
    return full.removeprefix("sqlite:///") if full.startswith("sqlite:///") else None


def _as_url(url: str) -> str:
    if "://" in url:
        return url
    return f"sqlite:///{Path(url).expanduser().resolve()}"


def _connect(url: str, read_only: bool) -> Engine:
    try:
        if url.startswith("sqlite") and read_only:
            path = url.split("///", 1)[1]
            if not Path(path).is_file():
                raise MetamedError(f"knowledge base file '{path}' does not exist.")
            engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        elif url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": 120})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
        with engine.connect() as connection:
            if url.startswith("sqlite"):  # SQLite reads the file's header only when asked
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master")
    except ModuleNotFoundError as error:
        raise MetamedError(
            f"the database driver '{error.name}' is not installed; "
            "run `pip install 'metamed[postgres]'`."
        ) from error
    except sa.exc.SQLAlchemyError as error:
        reason = one_line(getattr(error, "orig", None) or error)
        raise MetamedError(f"cannot open the knowledge base at {url}: {reason}.") from error
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets readers and one writer work at once; the busy timeout queues other writers."""
    cursor = connection.cursor()
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor) -> None:
    """Turn WAL on, waiting for a process that holds the new file's first lock.

    Changing the journal mode takes an exclusive lock and SQLite does not
    wait for it (the busy timeout does not apply): two processes opening a
    new file at once would see "database is locked".
    """
    _retrying(lambda: cursor.execute("PRAGMA journal_mode=WAL"), sqlite3.OperationalError,
              attempts=50, pause=0.1)


def _create_schema(engine: Engine) -> None:
    """Create missing tables, safe when several processes open a new KB at once.

    ``create_all`` checks which tables exist and then creates the others; a
    second process can create one in between ("table info already exists").
    The loser simply checks again: by then the table is there.
    """
    _retrying(lambda: _metadata.create_all(engine), sa.exc.DBAPIError, attempts=5)


def _retrying(action, error: type[Exception], attempts: int, pause: float = 0.0) -> None:
    """Run ``action``; on ``error`` wait ``pause`` seconds and try again, ``attempts`` times."""
    for attempt in range(attempts):
        try:
            action()
            return
        except error:
            if attempt == attempts - 1:
                raise
            time.sleep(pause)


def _insert(connection: sa.Connection, table: sa.Table):
    """The dialect's INSERT, which knows ON CONFLICT."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise MetamedError(f"metamed supports SQLite and PostgreSQL, not {dialect}.")
    return insert(table)


def _insert_ignore(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: idempotent under concurrent writers."""
    connection.execute(_insert(connection, table).on_conflict_do_nothing(), rows)


def _upsert(connection: sa.Connection, table: sa.Table, row: dict, key: str) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE: one statement, so two writers cannot collide."""
    statement = _insert(connection, table)
    values = {name: value for name, value in row.items() if name != key}
    connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=values), row)


def _finite_or_none(value: float | None) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return float(value)
