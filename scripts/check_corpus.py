"""Load every corpus task, report its size, and look for duplicated data.

Run it after editing ``src/metamed/corpus/registry.csv``:

    .venv/bin/python scripts/check_corpus.py                # report only
    .venv/bin/python scripts/check_corpus.py --write-sizes  # record sizes in the registry
    .venv/bin/python scripts/check_corpus.py mass_birthwt survival_pbc  # some tasks

It prints one line per task (sizes, load time, validation warnings), then
three duplicate checks:

1. equal content digests (``Task.content_hash`` made safe for missing text) --
   the same features and label: a duplicate;
2. overlapping tasks (identical columns or shared non-integer values, see
   :mod:`metamed.corpus.duplicates`) -- usually the same patients;
3. the same on the raw tables, including the dropped follow-up columns;
4. survival cohorts shipped twice with different features: tasks of similar
   size sharing 90% of their (follow-up time, label) pairs.

Pairs in checks 2-4 that already share a family are listed as "family ok".
A pair in check 1, or a pair in 2-4 without a family, needs a decision:
remove one task from the registry, or give both the same family. The exit
status is 1 while such pairs or load failures remain.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace

import numpy as np
import pandas as pd

from metamed.corpus.duplicates import find_overlaps, fingerprint
from metamed.corpus.registry import FIELDS, REGISTRY_PATH, CorpusEntry, entries
from metamed.corpus.sources import build_task, prepare, read_raw
from metamed.errors import MetamedError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="only these tasks (default: all)")
    parser.add_argument("--write-sizes", action="store_true", help="record sizes in the registry")
    args = parser.parse_args()

    chosen = [e for e in entries() if not args.slugs or e.slug in args.slugs]
    family = {e.slug: e.family for e in chosen}
    sizes, hashes, task_prints, raw_prints, failures = {}, defaultdict(list), {}, {}, []
    follow_up = {}
    print(f"{'slug':32} {'rows':>7} {'feat':>6} {'cls':>3} {'minor':>6} {'sec':>5}  warnings")
    for entry in chosen:
        start = time.perf_counter()
        try:
            task = build_task(entry)
            raw, _ = prepare_raw(entry)
        except MetamedError as error:
            failures.append(entry.slug)
            print(f"{entry.slug:32} FAILED: {error}")
            continue
        seconds = time.perf_counter() - start
        minority = (None if not task.kind.has_classes
                    else round(min(task.class_counts.values()) / task.n_rows, 4))
        classes = None if not task.kind.has_classes else len(task.classes)
        sizes[entry.slug] = (task.n_rows, task.n_features, classes, minority)
        hashes[task.content_hash()].append(entry.slug)
        task_prints[entry.slug] = fingerprint(task.X.assign(__label__=raw_scale(task, entry)))
        raw_prints[entry.slug] = fingerprint(raw)
        if entry.kind == "event":
            follow_up[entry.slug] = time_label_pairs(entry, raw)
        recorded = (entry.n_rows, entry.n_features, entry.n_classes, entry.minority_share)
        flag = "" if recorded == sizes[entry.slug] else "  [registry differs]"
        print(
            f"{entry.slug:32} {task.n_rows:7d} {task.n_features:6d} {classes or '-':>3} "
            f"{minority or float('nan'):6.3f} {seconds:5.1f}  {len(task.warnings)}{flag}"
        )

    problems = len(failures)
    print("\n1. identical content hashes")
    for slugs in hashes.values():
        if len(slugs) > 1:
            problems += 1
            print("   DUPLICATE:", ", ".join(slugs))
    for title, prints in [
        ("2. overlapping tasks", task_prints),
        ("3. overlapping raw tables", raw_prints),
    ]:
        print(f"\n{title}")
        for overlap in find_overlaps(prints):
            same = family[overlap.first] and family[overlap.first] == family[overlap.second]
            problems += 0 if same else 1
            print(f"   {'family ok' if same else 'CHECK'}: {overlap}")
    print("\n4. shared (follow-up time, label) pairs")
    for first, second, share in shared_follow_up(follow_up):
        same = family[first] and family[first] == family[second]
        problems += 0 if same else 1
        print(f"   {'family ok' if same else 'CHECK'}: {first} ~ {second}: {share:.0%} of pairs")
    print(f"\n{len(sizes)} tasks loaded, {len(failures)} failed, {problems} problem(s).")
    if args.write_sizes and sizes:
        write_sizes(sizes)
        print(f"sizes written to {REGISTRY_PATH}")
    return 1 if problems else 0


def prepare_raw(entry: CorpusEntry) -> tuple[pd.DataFrame, list[str]]:
    """The raw table after renames and cleaning, with every column kept."""
    return prepare(replace(entry, keep_columns=(), drop_columns=()), read_raw(entry))


def raw_scale(task, entry: CorpusEntry) -> np.ndarray:
    """The target as the package ships it: the log of whole numbers (counts, days) gives
    "precise" values that every table with such a log shares, which would read as overlap."""
    inverse = {"log": np.exp, "log1p": np.expm1}.get(entry.target_transform)
    return inverse(task.y.to_numpy()).round(6) if inverse else task.y.to_numpy()


def time_label_pairs(entry: CorpusEntry, raw: pd.DataFrame) -> Counter:
    """(time, label) pairs of the dropped numeric columns with 10+ distinct values."""
    pairs: Counter = Counter()
    label = raw[entry.target].astype(str).to_numpy()
    for name in entry.drop_columns:
        column = raw[name]
        if pd.api.types.is_numeric_dtype(column) and column.nunique() >= 10:
            values = np.round(column.to_numpy(dtype=float), 3)
            pairs.update(zip(values.tolist(), label.tolist(), strict=True))
    return pairs


def shared_follow_up(pairs: dict[str, Counter], min_share: float = 0.9, max_ratio: float = 1.25):
    """Pairs of tasks of similar size whose (time, label) multisets mostly agree."""
    names = sorted(p for p in pairs if pairs[p])
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = sum(pairs[first].values()), sum(pairs[second].values())
            if max(a, b) > max_ratio * min(a, b):
                continue
            share = sum((pairs[first] & pairs[second]).values()) / min(a, b)
            if share >= min_share:
                yield first, second, share


def write_sizes(sizes: dict[str, tuple]) -> None:
    with REGISTRY_PATH.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["slug"] in sizes:
            values = sizes[row["slug"]]
            row.update(
                dict(
                    zip(
                        ("n_rows", "n_features", "n_classes", "minority_share"), values, strict=True
                    )
                )
            )
    with REGISTRY_PATH.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELDS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
