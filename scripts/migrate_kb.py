"""Bring a knowledge base built before kb_version 2026.11.30 up to today's format.

Two facts changed without any evaluation changing:

* the meta-features' version and names are recorded in the ``info`` table
  (a KB without them is refused, since vectors of another layout would be
  compared position by position without a word);
* a task's content hash is that of the table *as loaded*, with the NaN-safe
  digest (:meth:`metamed.data.Task.content_hash`). Builds before stored the
  hash of the capped table, so the 41 capped corpus tasks were never
  recognised when a user fitted one of them.

Evaluations and meta-features are kept as they are (they were computed by
the same code: ``METAFEATURES_VERSION`` 1). Usage::

    python scripts/migrate_kb.py src/metamed/knowledge/kb.sqlite --kb-version 2026.11.30
"""

from __future__ import annotations

import argparse
import json
import sqlite3

from metamed import corpus
from metamed.knowledge.metafeatures import METAFEATURE_NAMES, METAFEATURES_VERSION


def migrate(path: str, kb_version: str) -> int:
    """Rehash every corpus task of the SQLite KB at ``path``; returns how many hashes changed."""
    connection = sqlite3.connect(path)
    changed = 0
    with connection:
        stored = dict(connection.execute("SELECT task_id, content_hash FROM tasks"))
        for task_id, old in stored.items():
            new = corpus.load_task(task_id).content_hash()
            if new != old:
                connection.execute("UPDATE tasks SET content_hash = ? WHERE task_id = ?",
                                   (new, task_id))
                changed += 1
        facts = {"metafeatures_version": str(METAFEATURES_VERSION),
                 "metafeatures": json.dumps(list(METAFEATURE_NAMES)), "kb_version": kb_version}
        for key, value in facts.items():
            connection.execute("INSERT OR REPLACE INTO info (key, value) VALUES (?, ?)",
                               (key, value))
    connection.execute("VACUUM")
    connection.close()
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="SQLite knowledge base to migrate in place")
    parser.add_argument("--kb-version", required=True)
    args = parser.parse_args()
    print(f"{migrate(args.path, args.kb_version)} content hashes updated in {args.path}")


if __name__ == "__main__":
    main()
