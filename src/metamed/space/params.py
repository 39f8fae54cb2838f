"""Hyper-parameter domains: what is valid, what is the default, how to sample.

One small object per parameter answers the three questions the rest of the
space asks — is this value allowed, what is the library's default, draw me a
value — so validation, canonical form and portfolio sampling can never
disagree about a range.

A domain's *sampling range* is ``[low, high]``; the library default is valid
even when it lies outside that range (``l2_regularization=0.0`` next to a
log-uniform range that cannot contain 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

Scalar = str | int | float | bool | None
Condition = tuple[str, tuple[Scalar, ...]] | None


def _same(value: object, option: object) -> bool:
    """Equality that keeps ``True`` apart from ``1`` and ``1`` apart from ``1.0``."""
    return type(value) is type(option) and value == option


def _is_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _round_significant(value: float, digits: int = 3) -> float:
    """Sampled values keep 3 significant digits, so names and hashes stay short."""
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of values (strings, numbers, booleans or None).

    ``when`` makes the parameter apply only while another key of the same
    section has one of the given values (``l1_ratio`` only with elastic net).
    """

    values: tuple[Scalar, ...]
    default: Scalar
    when: Condition = None

    def accepts(self, value: object) -> bool:
        return any(_same(value, option) for option in self.values)

    def canonical(self, value: Scalar) -> Scalar:
        return value

    def sample(self, rng: np.random.Generator) -> Scalar:
        return self.values[int(rng.integers(len(self.values)))]

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Float:
    """A real number in ``[low, high]``, sampled uniformly or log-uniformly."""

    low: float
    high: float
    default: float
    log: bool = False
    when: Condition = None

    def accepts(self, value: object) -> bool:
        if not _is_real(value) or not math.isfinite(value):
            return False
        return min(self.low, self.default) <= value <= max(self.high, self.default)

    def canonical(self, value: float) -> float:
        return float(value)

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return min(max(_round_significant(value), self.low), self.high)

    def describe(self) -> str:
        return f"a number between {self.low:g} and {self.high:g}"


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]``, sampled uniformly or log-uniformly."""

    low: int
    high: int
    default: int
    log: bool = False
    when: Condition = None

    def accepts(self, value: object) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        return min(self.low, self.default) <= value <= max(self.high, self.default)

    def canonical(self, value: int) -> int:
        return int(value)

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return min(int(value), self.high)
        return int(rng.integers(self.low, self.high + 1))

    def describe(self) -> str:
        return f"a whole number between {self.low} and {self.high}"


Domain = Choice | Float | Int


@dataclass(frozen=True)
class Section:
    """One step of a pipeline: a selector key picks a variant, each with its parameters.

    ``common`` parameters apply to every variant (the categorical strategy of
    imputation applies whatever the numeric strategy is). An ``optional``
    step is in a config's canonical form only when the config names it: the
    featurisation of molecules, which a table without molecules never uses,
    so adding it left every stored config's hash as it was.
    """

    selector: str
    variants: dict[str, dict[str, Domain]]
    default: str
    common: dict[str, Domain] = field(default_factory=dict)
    optional: bool = False

    def domains(self, variant: str) -> dict[str, Domain]:
        """The parameters of one variant, in a fixed order."""
        return {**self.common, **self.variants[variant]}

    def sample(self, rng: np.random.Generator, variant: str) -> dict[str, Scalar]:
        """Draw every parameter of ``variant`` (inactive ones are dropped later)."""
        drawn = {key: domain.sample(rng) for key, domain in self.domains(variant).items()}
        return {self.selector: variant, **drawn}
