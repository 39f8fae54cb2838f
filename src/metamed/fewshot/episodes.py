"""Episodes: N-way K-shot support and query sets, drawn from meta-splits.

Why a module of its own (learn2learn's lesson): every algorithm and every
baseline sees exactly the same episodes, and the guarantees that make a
few-shot score honest live in one place a reader can check:

- meta-train / meta-validation / meta-test are split **by class** (or by
  task), never by row, so no class and no row of a meta-test episode was
  seen during meta-training;
- episode ``i`` of a sampler depends only on ``(seed, i)``, so a run is
  reproducible and two methods evaluated on "600 episodes" saw the same 600;
- a class too small for ``shots + queries`` rows is an error, not a silent
  episode with repeated rows.

No torch here: episodes are numpy arrays.

Example
-------
>>> import numpy as np
>>> data = MetaDataset(np.random.rand(60, 3).astype("float32"), np.repeat(np.arange(6), 10))
>>> splits = split_by_class(data, n_test=2, n_val=0, seed=0)
>>> episode = EpisodeSampler(splits["test"], ways=2, shots=1, queries=4, seed=0).episode(0)
>>> episode.support_x.shape, episode.query_x.shape
((2, 3), (8, 3))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from metamed.errors import MetamedError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class MetaDataset:
    """Rows sharing one input space, each with a class and a task.

    Attributes
    ----------
    X : ndarray
        Encoded inputs, ``(n, features)`` for tables or ``(n, C, H, W)`` for images.
    y : ndarray of int
        Class id of each row; classes are global (a class belongs to one task).
    tasks : ndarray of int or None
        Task id of each row (a site, an image collection); ``None`` means one task.
    class_names : list of str
        Readable name of each class id, for error messages.
    rows : ndarray of int
        Index of each row in the source it came from (to prove no row leaks).
    """

    X: np.ndarray
    y: np.ndarray
    tasks: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.rows is None:
            object.__setattr__(self, "rows", np.arange(len(self.y)))
        if self.tasks is None:
            object.__setattr__(self, "tasks", np.zeros(len(self.y), dtype=int))
        if not self.class_names:
            names = tuple(str(c) for c in range(int(self.y.max()) + 1)) if len(self.y) else ()
            object.__setattr__(self, "class_names", names)

    @property
    def classes(self) -> np.ndarray:
        return np.unique(self.y)

    @property
    def most_classes_in_a_task(self) -> int:
        """The widest episode this data allows: classes of its largest task."""
        return max((len(np.unique(self.y[self.tasks == t])) for t in np.unique(self.tasks)),
                   default=0)

    def take(self, mask: np.ndarray) -> MetaDataset:
        """The rows where ``mask`` holds, keeping global class and row ids."""
        return MetaDataset(self.X[mask], self.y[mask], self.tasks[mask], self.class_names,
                           self.rows[mask])


@dataclass(frozen=True)
class Episode:
    """One few-shot problem: labels are ``0..ways-1`` in a random class order."""

    support_x: np.ndarray
    support_y: np.ndarray
    query_x: np.ndarray
    query_y: np.ndarray
    classes: tuple[int, ...]
    support_rows: np.ndarray
    query_rows: np.ndarray


def split_by_class(data: MetaDataset, n_test: int, n_val: int = 0,
                   seed: int = 0) -> dict[str, MetaDataset]:
    """Split each task's classes into meta-train / meta-val / meta-test.

    Every task gives ``n_test`` classes to meta-test, ``n_val`` to meta-val
    and the rest (at least 2) to meta-train, chosen at random with ``seed``.
    """
    rng = np.random.default_rng(seed)
    part = np.empty(len(data.y), dtype=object)
    for task in np.unique(data.tasks):
        in_task = data.tasks == task
        classes = rng.permutation(np.unique(data.y[in_task]))
        if len(classes) < n_test + n_val + 2:
            raise MetamedError(
                f"a class split needs at least {n_test + n_val + 2} classes ({n_test} meta-test, "
                f"{n_val} meta-validation, 2 meta-train) but the data has {len(classes)}."
            )
        for name, chosen in zip(SPLITS, np.split(classes, [len(classes) - n_test - n_val,
                                                          len(classes) - n_test]), strict=True):
            part[in_task & np.isin(data.y, chosen)] = name
    return {name: data.take(part == name) for name in SPLITS}


def split_by_task(data: MetaDataset, n_test: int, n_val: int = 0,
                  seed: int = 0) -> dict[str, MetaDataset]:
    """Split whole tasks (sites, collections) into meta-train / meta-val / meta-test."""
    tasks = np.random.default_rng(seed).permutation(np.unique(data.tasks))
    if len(tasks) < n_test + n_val + 1:
        raise MetamedError(
            f"a task split needs at least {n_test + n_val + 1} tasks ({n_test} meta-test, "
            f"{n_val} meta-validation, 1 meta-train) but the data has {len(tasks)}."
        )
    chosen = np.split(tasks, [len(tasks) - n_test - n_val, len(tasks) - n_test])
    return {name: data.take(np.isin(data.tasks, c)) for name, c in zip(SPLITS, chosen,
                                                                       strict=True)}


def rotated_classes(data: MetaDataset, angles: tuple[int, ...] = (90, 180, 270)) -> MetaDataset:
    """Images plus copies turned by ``angles`` (multiples of 90°), each copy a new class.

    Snell et al. (2017) meta-train on Omniglot this way: with few
    meta-train classes (5 on digits) an embedding learns those classes and
    little else; more classes make it learn what tells classes apart. Only
    for a meta-train split, and only where a turned image is truly another
    class: not for tissue or cell images that look the same at any angle,
    and not where a turned class looks like a meta-test class (a 6 turned
    180° is a 9). Rows keep their source ids, so the leak checks still see
    them as meta-train rows; new class ids start after every id the source
    knows, so they never collide with another split's classes.
    """
    if data.X.ndim != 4 or data.X.shape[2] != data.X.shape[3]:
        raise MetamedError("rotated classes need square images (n, C, H, W); this source is not.")
    if any(a % 90 or not 0 < a < 360 for a in angles):
        raise MetamedError(f"rotation angles must be 90, 180 or 270; got {angles}.")
    stride = len(data.class_names)
    turns = (0, *(a // 90 for a in angles))
    return MetaDataset(
        X=np.concatenate([np.rot90(data.X, k, axes=(2, 3)) for k in turns]),
        y=np.concatenate([data.y + i * stride for i in range(len(turns))]),
        tasks=np.tile(data.tasks, len(turns)),
        class_names=tuple(f"{name} turned {90 * k}°" if k else name
                          for k in turns for name in data.class_names),
        rows=np.tile(data.rows, len(turns)),
    )


@dataclass(frozen=True)
class Shift:
    """Translate each image by up to ``pixels`` in each direction, filling with zeros.

    A within-class augmentation for meta-training: a digit drawn a pixel
    off-centre is the same digit, so an embedding trained on shifted copies
    learns to ignore position, which carries over to classes it never saw.
    On held-out meta-train digits it helped every method (figures in
    docs/benchmarks.md, from ``benchmarks/fewshot_dev.py``).
    """

    pixels: int = 1

    def __post_init__(self) -> None:
        if self.pixels < 0:
            raise MetamedError(f"a shift is a number of pixels, 0 or more; got {self.pixels}.")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if x.ndim != 4:
            raise MetamedError("shift augmentation needs images (n, C, H, W); this source is not.")
        p, (height, width) = self.pixels, x.shape[2:]
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        down, right = rng.integers(0, 2 * p + 1, size=(2, len(x)))
        return np.stack([padded[i, :, d:d + height, r:r + width]
                         for i, (d, r) in enumerate(zip(down, right, strict=True))])


Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


class EpisodeSampler:
    """Seeded N-way K-shot episodes from one meta-split.

    An episode picks a task with at least ``ways`` classes, ``ways`` of its
    classes, then ``shots`` support and ``queries`` query rows per class,
    without replacement (support and query never share a row). ``augment``
    (meta-train samplers only, e.g. :class:`Shift`) then perturbs the inputs;
    the classes and rows of episode ``i`` stay the same with or without it.

    Raises
    ------
    MetamedError
        If no task has ``ways`` classes, or a class has fewer than
        ``shots + queries`` rows.
    """

    def __init__(self, data: MetaDataset, ways: int, shots: int, queries: int = 15,
                 seed: int = 0, augment: Augment | None = None) -> None:
        self.data, self.ways, self.shots, self.queries, self.seed = (
            data, ways, shots, queries, seed)
        self.augment = augment
        self._check()
        self._rows = {c: np.flatnonzero(data.y == c) for c in data.classes}
        self._tasks = [t for t in np.unique(data.tasks)
                       if len(np.unique(data.y[data.tasks == t])) >= ways]

    def _check(self) -> None:
        if self.ways < 2 or self.shots < 1 or self.queries < 1:
            raise MetamedError("an episode needs ways >= 2, shots >= 1 and queries >= 1.")
        counts = np.bincount(self.data.y)
        need = self.shots + self.queries
        for c in self.data.classes:
            if counts[c] < need:
                raise MetamedError(
                    f"class '{self.data.class_names[c]}' has {counts[c]} rows; a {self.shots}-shot "
                    f"episode with {self.queries} queries needs {need} "
                    "(lower --shots or --queries)."
                )
        most = self.data.most_classes_in_a_task
        if most < self.ways:
            raise MetamedError(
                f"a {self.ways}-way episode needs {self.ways} classes in one task, but this "
                f"meta-split has at most {most}."
            )

    def episode(self, index: int) -> Episode:
        """The ``index``-th episode: the same for the same seed, whatever came before."""
        rng = np.random.default_rng([self.seed, index])
        task = self._tasks[rng.integers(len(self._tasks))]
        classes = rng.permutation(np.unique(self.data.y[self.data.tasks == task]))[: self.ways]
        picks = [rng.choice(self._rows[c], self.shots + self.queries, replace=False)
                 for c in classes]
        support = np.concatenate([p[: self.shots] for p in picks])
        query = np.concatenate([p[self.shots:] for p in picks])
        episode = Episode(
            support_x=self.data.X[support],
            support_y=np.repeat(np.arange(self.ways), self.shots),
            query_x=self.data.X[query],
            query_y=np.repeat(np.arange(self.ways), self.queries),
            classes=tuple(int(c) for c in classes),
            support_rows=self.data.rows[support],
            query_rows=self.data.rows[query],
        )
        if self.augment is None:
            return episode
        return replace(episode, support_x=self.augment(episode.support_x, rng),
                       query_x=self.augment(episode.query_x, rng))

    def with_ways(self, ways: int) -> EpisodeSampler:
        """The same sampler (data, shots, queries, seed, augmentation) with other ways."""
        return EpisodeSampler(self.data, ways, self.shots, self.queries, self.seed, self.augment)

    def episodes(self, n: int, start: int = 0) -> Iterator[Episode]:
        """Episodes ``start .. start + n - 1``."""
        return (self.episode(i) for i in range(start, start + n))
