"""The exact object types a metamed model file may contain, derived from the search space.

skops rebuilds an object by looking its type up by name and, for some
nodes, *calling* it with arguments read from the file; a type it is told to
trust is therefore code the file can run. skops itself trusts every
scikit-learn estimator by default (``FunctionTransformer`` included, which
holds a function). metamed does not rely on that: it reads the file's
``schema.json`` itself and accepts a node only when it is plain data of
the one type its loader is meant for (:data:`DATA_TYPES`: containers,
strings and numbers, numpy arrays, scalars and dtypes) or an object of a
class on the allow-list (``trusted_types.json``). The allow-list holds every
class, scikit-learn's included, that a fitted pipeline of the space (each
model family, each preprocessing variant, binary, multiclass and
regression), an ensemble of them, a recalibrated one or a regression's
conformal wrapper contains. It is derived by saving those pipelines and
reading their schemas (:func:`derive`), stored beside this module, and a
test checks that the stored list is what the space derives today. No
function, builtin or method is ever on it: each entry must import as a class.

Regenerate after changing the space or upgrading scikit-learn, LightGBM,
XGBoost, interpret or MAPIE: ``python -m metamed.automl.allow_list``.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

ALLOW_LIST = Path(__file__).with_name("trusted_types.json")

_NUMBERS = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
            "float16", "float32", "float64", "str_")
#: Loaders that rebuild plain data, and the only types each may carry, whatever the allow-list.
DATA_TYPES: dict[str, frozenset[str]] = {
    "DictNode": frozenset({"builtins.dict"}),
    "DefaultDictNode": frozenset({"collections.defaultdict"}),
    "ListNode": frozenset({"builtins.list"}),
    "TupleNode": frozenset({"builtins.tuple"}),
    "SliceNode": frozenset({"builtins.slice"}),
    "JsonNode": frozenset({f"builtins.{name}"
                           for name in ("str", "int", "float", "bool", "NoneType")}),
    "BytearrayNode": frozenset({"builtins.bytearray"}),
    "DTypeNode": frozenset({"numpy.dtype"}),
    "NdArrayNode": frozenset({"numpy.ndarray", *(f"numpy.{name}" for name in _NUMBERS)}),
}
#: Loaders that rebuild an instance of a class: only classes on the allow-list.
OBJECT_LOADERS = frozenset({"ObjectNode", "TreeNode", "LossNode", "RandomStateNode",
                            "RandomGeneratorNode"})
#: A loader that returns a class itself (a dtype or container given as a parameter).
TYPE_LOADER = "TypeNode"
ANY_DATA_TYPE = frozenset().union(*DATA_TYPES.values())


@lru_cache(maxsize=1)
def trusted_types() -> frozenset[str]:
    """The stored allow-list (read, not imported: :func:`refused_types` imports what a file
    uses, to check that it is a class)."""
    return frozenset(json.loads(ALLOW_LIST.read_text(encoding="utf-8")))


def loadable_types() -> list[str]:
    """What skops is told to trust: what :func:`refused_types` lets through (the allow-list and
    the data types). skops' own defaults never widen it: each file is checked first."""
    return sorted(trusted_types() | ANY_DATA_TYPE)


def refused_types(schema: dict) -> list[str]:
    """What a skops ``schema.json`` holds beyond plain data and the allow-list, sorted.

    Each entry is a type name, followed by the loader when the type would be
    accepted from another loader (an array rebuilt by calling its class).
    """
    trusted = trusted_types()
    refused = set()
    for node in schema_nodes(schema):
        loader, name = loader_of(node), type_name(node)
        if (name in DATA_TYPES.get(loader, ())
                or loader in OBJECT_LOADERS and name in trusted and is_class(name)
                or loader == TYPE_LOADER and (name in ANY_DATA_TYPE
                                               or name in trusted and is_class(name))):
            continue
        known = name in trusted | ANY_DATA_TYPE
        refused.add(f"{name} rebuilt by {loader}" if known else name)
    return sorted(refused)


def schema_nodes(schema: object) -> Iterator[dict]:
    """Every node (a dict with a ``__loader__``) anywhere in a parsed ``schema.json``.

    Iterative, so a deeply nested file cannot exhaust the stack; it visits
    more than skops reads (every value of every dict), never less.
    """
    pending = [schema]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield item
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def type_name(node: dict) -> str:
    """``module.Class`` of a node (``?`` for a part that is not a string)."""
    parts = (node.get("__module__"), node.get("__class__"))
    return ".".join(part if isinstance(part, str) else "?" for part in parts)


def loader_of(node: dict) -> str:
    loader = node["__loader__"]
    return loader if isinstance(loader, str) else "?"


@cache
def is_class(name: str) -> bool:
    """Whether ``module.Name`` imports as a class (never a function, builtin or method)."""
    module, _, attribute = name.rpartition(".")
    try:
        return inspect.isclass(getattr(importlib.import_module(module), attribute))
    except (ImportError, AttributeError, ValueError):
        return False
