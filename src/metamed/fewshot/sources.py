"""Where episodes come from: tables and images, turned into meta-splits.

Each source returns :class:`FewShotData`, meta-splits already made (by class
or by task) and inputs already encoded. Tables are encoded with statistics
from the **meta-train rows only** (median imputation, standardisation,
one-hot categories), so nothing about meta-test classes leaks into the
encoding. No torch and no network: images come from scikit-learn's bundled
digits or from MedMNIST-format ``.npz`` files the user already has.

Source specs (the ``--source`` option): ``digits``, ``corpus:SLUG``,
``npz:PATH`` (a file, or a folder whose every ``.npz`` is one task) and
``csv:PATH`` (any table metamed reads; needs ``target``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from metamed.errors import MetamedError
from metamed.fewshot.episodes import (
    MetaDataset,
    rotated_classes,
    split_by_class,
    split_by_task,
)

NPZ_PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class FewShotData:
    """Meta-splits (``train``, ``val``, ``test``) of one source, ready for sampling."""

    splits: dict[str, MetaDataset]
    kind: str
    description: str

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.splits["train"].X.shape[1:])

    def with_rotated_train(self, angles: tuple[int, ...]) -> FewShotData:
        """The same splits, meta-train classes augmented by rotation (images only)."""
        turned = ", ".join(f"{a}°" for a in angles)
        train = rotated_classes(self.splits["train"], angles)
        return FewShotData({**self.splits, "train": train}, self.kind,
                           f"{self.description}, meta-train classes also turned {turned}")


def class_split_sizes(n_classes: int, ways: int) -> tuple[int, int]:
    """Meta-test gets ``ways`` classes; meta-val too when ``ways`` are left for meta-train."""
    n_val = ways if n_classes - 2 * ways >= ways else 0
    return ways, n_val


def load_source(spec: str, ways: int, *, target: str | None = None,
                task_column: str | None = None, seed: int = 0,
                rotations: tuple[int, ...] = ()) -> FewShotData:
    """Parse a ``--source`` spec and build its meta-splits (see the module docstring).

    ``rotations`` (angles in degrees) adds turned copies of the meta-train
    image classes as new classes.
    """
    data = _load(spec, ways, target, task_column, seed)
    return data.with_rotated_train(tuple(rotations)) if rotations else data


def _load(spec: str, ways: int, target: str | None, task_column: str | None,
          seed: int) -> FewShotData:
    kind, _, value = spec.partition(":")
    if kind == "digits" and not value:
        return digits_data(ways, seed)
    if kind == "corpus" and value:
        return corpus_data(value, ways, seed)
    if kind == "npz" and value:
        return npz_data(Path(value).expanduser(), ways, seed)
    if kind == "csv" and value:
        if target is None:
            raise MetamedError("a csv: source needs --target, the column that holds the class.")
        return table_data(Path(value), target, ways, task_column=task_column, seed=seed)
    raise MetamedError(
        f"source '{spec}' is not one of digits, corpus:SLUG, npz:PATH or csv:PATH."
    )


def digits_data(ways: int, seed: int = 0) -> FewShotData:
    """scikit-learn's bundled 8x8 digits (1,797 images, 10 classes), split by class."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None]
    data = MetaDataset(X, digits.target.astype(int), class_names=tuple(map(str, range(10))))
    return FewShotData(split_by_class(data, *class_split_sizes(10, ways), seed=seed), "image",
                       "scikit-learn digits, 8x8, split by class")


def read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 ``(n, C, H, W)`` in [0, 1] and labels, all official parts pooled.

    Pooling MedMNIST's train/val/test rows is deliberate: few-shot splits are
    made by class, so the row-level official split has no role here.
    """
    try:
        archive = np.load(path)
    except (OSError, ValueError) as error:
        raise MetamedError(f"'{path}' is not a readable .npz file: {error}.") from error
    missing = [f"{p}_{k}" for p in NPZ_PARTS for k in ("images", "labels")
               if f"{p}_{k}" not in archive.files]
    if missing:
        raise MetamedError(f"'{path}' lacks the MedMNIST keys {', '.join(missing)}.")
    images = np.concatenate([archive[f"{p}_images"] for p in NPZ_PARTS])
    labels = np.concatenate([np.asarray(archive[f"{p}_labels"]).reshape(len(archive[
        f"{p}_images"]), -1) for p in NPZ_PARTS])
    if labels.shape[1] != 1:
        raise MetamedError(f"'{path}' is multi-label ({labels.shape[1]} labels per image); "
                           "few-shot episodes need one class per image.")
    images = images[:, None] if images.ndim == 3 else np.moveaxis(images, -1, 1)
    scale = 255.0 if images.dtype == np.uint8 or images.max() > 1 else 1.0
    return (images / scale).astype(np.float32), labels[:, 0].astype(int)


def npz_data(path: Path, ways: int, seed: int = 0) -> FewShotData:
    """One MedMNIST-format file (split by class) or a folder of them (one task per file)."""
    files = sorted(path.glob("*.npz")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise MetamedError(f"no .npz file found at '{path}'.")
    parts = [read_npz(f) for f in files]
    shapes = {x.shape[1:] for x, _ in parts}
    if len(shapes) > 1:
        raise MetamedError(f"the .npz files in '{path}' have different image shapes {shapes}; "
                           "episodes need one input space.")
    names, labels, offset = [], [], 0
    for f, (_, y) in zip(files, parts, strict=True):
        names += [f"{f.stem}:{c}" for c in range(y.max() + 1)]
        labels.append(y + offset)
        offset += y.max() + 1
    tasks = np.concatenate([np.full(len(y), i) for i, (_, y) in enumerate(parts)])
    data = MetaDataset(np.concatenate([x for x, _ in parts]), np.concatenate(labels), tasks,
                       tuple(names))
    n_classes = min(len(np.unique(y)) for _, y in parts)
    return FewShotData(split_by_class(data, *class_split_sizes(n_classes, ways), seed=seed),
                       "image", f"{len(files)} MedMNIST-format file(s) at {path}, split by class")


def corpus_data(slug: str, ways: int, seed: int = 0) -> FewShotData:
    """A multiclass corpus task whose classes are split into meta-train and meta-test."""
    from metamed.corpus import load_task

    task = load_task(slug)
    if task.is_regression:
        raise MetamedError(f"corpus task {slug!r} is a regression; few-shot learning needs "
                           "classes (`metamed corpus list --multiclass` lists candidates).")
    return _from_frame(task.X, task.y, task.feature_types, ways, None, seed,
                       f"corpus task {slug}, split by class")


def table_data(path: Path, target: str, ways: int, *, task_column: str | None = None,
               seed: int = 0) -> FewShotData:
    """A user table: split by class, or into tasks by ``task_column`` (one task per value)."""
    from metamed.data.io import load_task

    task = load_task(path, target, task_type="classification")  # few-shot learns classes
    tasks = None
    if task_column is not None:
        if task_column not in task.X.columns:
            raise MetamedError(f"task column '{task_column}' is not a feature column of '{path}'.")
        tasks = task.X.pop(task_column).astype(str)
    how = f"split into tasks by '{task_column}'" if tasks is not None else "split by class"
    return _from_frame(task.X, task.y, task.feature_types, ways, tasks, seed, f"{path}, {how}")


def _from_frame(X: pd.DataFrame, y: pd.Series, types: dict, ways: int, tasks: pd.Series | None,
                seed: int, description: str) -> FewShotData:
    """Index a table, split it, then encode it with meta-train statistics only."""
    codes, names = pd.factorize(y.astype(str), sort=True)
    task_ids = None if tasks is None else pd.factorize(tasks, sort=True)[0]
    index = MetaDataset(np.arange(len(y))[:, None], codes, task_ids, tuple(names))
    if task_ids is None:
        splits = split_by_class(index, *class_split_sizes(len(names), ways), seed=seed)
    else:
        n_tasks = len(np.unique(task_ids))
        splits = split_by_task(index, max(1, n_tasks // 5), 1 if n_tasks >= 5 else 0, seed)
    encode = table_encoder(X.iloc[splits["train"].rows], types)
    return FewShotData({name: MetaDataset(encode(X.iloc[s.rows]), s.y, s.tasks, s.class_names,
                                          s.rows) for name, s in splits.items()},
                       "table", description)


def table_encoder(train: pd.DataFrame, types: dict):
    """Median-impute + standardise numbers and one-hot categories, fitted on ``train``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in train.columns if types.get(c) == "numeric"]
    categorical = [c for c in train.columns if c not in numeric]
    encoder = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                              OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
         categorical),
    ])
    width = encoder.fit_transform(_as_text(train, categorical)).shape[1]

    def encode(frame: pd.DataFrame) -> np.ndarray:
        if frame.empty:  # an unused meta-split (no validation classes)
            return np.zeros((0, width), dtype=np.float32)
        return encoder.transform(_as_text(frame, categorical)).astype(np.float32)

    return encode


def _as_text(frame: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    """Categories as strings (missing stays missing), so mixed codes one-hot cleanly."""
    frame = frame.copy()
    for c in categorical:
        frame[c] = frame[c].astype(object).map(lambda v: np.nan if pd.isna(v) else str(v))
    return frame
