"""Package attributes imported on first use (PEP 562).

Why: ``metamed predict`` and ``metamed --version`` should not pay for the
search, the meta-learners or the knowledge base, and a package's
``__init__`` that imports all its modules makes any import of one of them
pay for all. A package lists where each public name lives instead.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_attributes(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``name`` from the module ``homes[name]``."""

    def __getattr__(name: str) -> object:
        if name in homes:
            return getattr(import_module(homes[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
