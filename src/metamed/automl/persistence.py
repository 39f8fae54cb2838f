"""Saving and loading fitted models: a model file never runs code.

A model file is a skops archive holding the fitted pipeline (or ensemble),
the honest out-of-fold probabilities and true classes of the training rows
(no features: enough to redraw ROC, calibration and decision curves), and a
JSON document with everything else (:class:`~metamed.automl.state.FittedState`).

Trust model: before anything is read beyond the archive's directory, its
members are checked against what metamed writes (``schema.json`` and the
arrays it names, uncompressed, each read once, so a file cannot make
loading read more than its own size); then every node of the schema is
compared with plain data and an exact allow-list of classes
(:mod:`metamed.automl.trusted_types`). A file holding any other type, any
function, or anything that is not a skops archive written by metamed is
refused in one sentence and nothing in it is built. What is built is then
checked before use (:mod:`metamed.automl.integrity`): allowed classes with
the wrong content are refused in one sentence too.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path
from types import ModuleType

# Imported before scikit-learn and pandas on purpose: skops names the scipy.special
# functions it trusts by searching every loaded module in import order, and finds them
# in 0.2 s instead of 0.4 s when scipy.special is among the first (start-up of predict).
import scipy.special  # noqa: F401
from sklearn.pipeline import Pipeline

from metamed import __version__
from metamed.automl.calibration import Recalibrated
from metamed.automl.conformal import ConformalRegressor
from metamed.automl.ensemble import WeightedEnsemble
from metamed.automl.estimator import MetaClassifier, MetaRegressor
from metamed.automl.integrity import check_usable
from metamed.automl.state import BINARY_FIELDS, FittedState
from metamed.automl.trusted_types import loadable_types, refused_types, schema_nodes
from metamed.errors import MetamedError, one_line
from metamed.kinds import kind_of
from metamed.survival.calibration import RecalibratedSurvival
from metamed.survival.estimator import WeightedSurvival

#: Version 3: out-of-fold predictions stored as ``oof_predictions`` (version 2: ``oof_proba``,
#: which for a regression held values); 2 kept the fitted state in one document.
FORMAT_VERSION = 3
_CONTENT_KEYS = frozenset({*BINARY_FIELDS, "metadata"})
#: The largest schema.json read. The space's own models write up to ~13 MB (a conformal
#: random-forest blend); parsing JSON takes about 2.5 times its size in memory.
SCHEMA_LIMIT = 256 * 2**20
#: What skops names the members it writes beside schema.json: arrays by object id, bytes by uuid.
_MEMBER = re.compile(r"[0-9]{1,20}\.npy|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.bin")


def save_model(model: MetaClassifier | MetaRegressor, path: str | Path) -> Path:
    """Write a fitted :class:`MetaClassifier` or :class:`MetaRegressor` to ``path`` (.skops).

    Raises
    ------
    MetamedError
        When a model fitted with ``shareable=True`` holds patient values
        (a guard: the search should never have chosen such a pipeline).
    """
    state = model.state_
    if model.shareable and state.training_values:
        raise MetamedError(f"the model was fitted to be shareable but holds training values "
                           f"({', '.join(state.training_values)}); it was not saved.")
    document = {"format_version": FORMAT_VERSION, "metamed_version": __version__,
                "params": model.get_params(), "state": state.document()}
    content = {name: getattr(state, name) for name in BINARY_FIELDS}
    content["metadata"] = json.dumps(document, default=str)
    path = Path(path)
    skops_io().dump(content, path)  # members stored uncompressed, as _schema requires
    return path


def load_model(path: str | Path) -> MetaClassifier | MetaRegressor:
    """Read a model written by :func:`save_model`; refuse anything else without running it."""
    path = Path(path)
    if not path.is_file():
        raise MetamedError(f"model file '{path}' does not exist.")
    content = _load_trusted(path)
    document = _document(content, path)
    try:
        state = FittedState.from_document(document["state"],
                                          **{name: content[name] for name in BINARY_FIELDS})
        estimator = kind_of(state.task_type).part("estimator")
        model = estimator(**document["params"])._set_state(state)
    except (KeyError, TypeError, ValueError) as error:
        raise _not_a_model(path, "its metadata is not metamed's") from error
    check_usable(model, path)
    model.metamed_version_ = document["metamed_version"]
    return model


def skops_io() -> ModuleType:
    """``skops.io``, imported without building skops' default trust list (2-3 s, torch included).

    On import skops lists every scikit-learn estimator, to trust them by
    default, by importing every scikit-learn package: a second of imports,
    and seconds more for torch, which scikit-learn's array-API shim imports
    when it is installed. metamed never uses that default (it checks each
    file against its own exact list, then passes that list to skops), so
    when metamed is first to import skops, the listing finds nothing. skops
    then trusts no scikit-learn estimator by default in this process: other
    code must name the types it trusts, as skops recommends anyway.
    """
    if "skops.io" not in sys.modules:
        import sklearn.utils

        listing = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = _no_estimators
        try:
            import skops.io  # noqa: F401
        finally:
            sklearn.utils.all_estimators = listing
    return sys.modules["skops.io"]


def _no_estimators(*args: object, **kwargs: object) -> list:
    return []


def _load_trusted(path: Path) -> dict:
    """The archive's top-level dict, rebuilt only if the archive and every type in it pass."""
    refused = refused_types(_schema(path))
    if refused:
        raise MetamedError(f"model file '{path}' holds object types metamed never loads "
                           f"({', '.join(refused[:5])}); nothing in it was run.")
    try:
        content = skops_io().load(path, trusted=loadable_types())
    except Exception as error:
        raise _not_a_model(path, error) from error
    if not isinstance(content, dict) or set(content) != _CONTENT_KEYS:
        raise _not_a_model(path, "its contents are not a metamed model's")
    if not isinstance(content["model"], Pipeline | WeightedEnsemble | Recalibrated
                      | ConformalRegressor | WeightedSurvival | RecalibratedSurvival):
        raise _not_a_model(path, "it holds no metamed pipeline")
    return content


def _schema(path: Path) -> dict:
    """The parsed schema.json, once the archive's directory shows nothing metamed never writes.

    Only the directory is read before the checks: member names, the sizes
    they declare and whether they are compressed. Each member but the
    schema must be an array the schema names once, so loading reads each
    byte of the file at most once.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            problem = _member_problem(members, path.stat().st_size)
            schema = None if problem else json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, OSError, ValueError, RecursionError) as error:
        raise _not_a_model(path, error) from error
    if not problem and not isinstance(schema, dict):
        problem = "its schema is not a skops schema"
    problem = problem or _reference_problem(schema, {m.filename for m in members})
    if problem:
        raise _not_a_model(path, problem)
    return schema


def _member_problem(members: list[zipfile.ZipInfo], file_size: int) -> str | None:
    """What in the archive's directory no metamed file has, if anything."""
    names = [m.filename for m in members]
    strange = [n for n in names if n != "schema.json" and not _MEMBER.fullmatch(n)]
    schema = [m for m in members if m.filename == "schema.json"]
    packed = [m.filename for m in members
              if m.compress_type != zipfile.ZIP_STORED or m.compress_size != m.file_size]
    if strange:
        return f"it holds a member named '{strange[0]}', which no metamed file has"
    if len(schema) != 1 or len(set(names)) < len(names):
        return "it needs one schema.json and members of different names"
    if packed:
        return f"its member '{packed[0]}' is compressed; metamed stores members as they are"
    if sum(m.file_size for m in members) > file_size:
        return "its members declare more data than the file holds"
    if schema[0].file_size > SCHEMA_LIMIT:
        return (f"its schema.json declares {schema[0].file_size:,} bytes, over the "
                f"{SCHEMA_LIMIT:,} bytes a metamed schema may take")
    return None


def _reference_problem(schema: dict, names: set[str]) -> str | None:
    """Whether a member is unread, missing, or read by more than one node of the schema."""
    readers: dict[str, set[str]] = {}
    for node in schema_nodes(schema):
        if "file" in node:
            readers.setdefault(str(node["file"]), set()).add(str(node.get("__id__")))
    members = names - {"schema.json"}
    unread, absent = sorted(members - set(readers)), sorted(set(readers) - members)
    repeated = sorted(name for name, ids in readers.items() if len(ids) > 1)
    if unread:
        return f"its member '{unread[0]}' is named by no node"
    if absent:
        return f"its schema names a member '{absent[0]}' it lacks"
    if repeated:
        return f"its member '{repeated[0]}' is read {len(readers[repeated[0]])} times"
    return None


def _document(content: dict, path: Path) -> dict:
    """The JSON document, checked for the format this metamed writes."""
    try:
        document = json.loads(content["metadata"])
        version = document["format_version"]
    except (TypeError, KeyError, json.JSONDecodeError) as error:
        raise _not_a_model(path, "its metadata is not metamed's") from error
    if version != FORMAT_VERSION:
        raise MetamedError(f"model file '{path}' was written by an incompatible metamed version "
                           f"({document.get('metamed_version')}); refit it.")
    return document


def _not_a_model(path: Path, reason: object) -> MetamedError:
    why = one_line(reason) if isinstance(reason, BaseException) else reason
    return MetamedError(f"'{path}' is not a metamed model file ({why}).")
