"""Pipeline configs: canonical form, validation, hash and short name.

The canonical form of a config is the full config: every step present, every
parameter of the chosen variants filled with its default, parameters that do
not apply (``l1_ratio`` without elastic net) dropped, numbers of the declared
type. Two configs that build the same pipeline therefore have the same
canonical form — and the same :func:`config_hash`, which is what the
knowledge base stores evaluations under.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping

from metamed.errors import MetamedError
from metamed.space.families import MODEL_FAMILIES
from metamed.space.params import Scalar, Section
from metamed.space.schema import SPACE

Config = dict[str, dict[str, Scalar]]


def canonical_config(config: Mapping) -> Config:
    """Return the full, validated form of ``config`` (see the module docstring).

    A step may be given as a dict or, as a shorthand, as its selector value:
    ``{"model": "rf"}`` is ``{"model": {"name": "rf"}}``. Missing steps take
    their defaults, so ``canonical_config({})`` is the logistic-regression
    baseline; an optional step (``featurize``) is left out unless given.

    Raises
    ------
    MetamedError
        For an unknown step, variant or parameter, or a value out of range.
    """
    if not isinstance(config, Mapping):
        raise MetamedError(f"a pipeline config must be a dict, not {type(config).__name__}.")
    unknown = [key for key in config if key not in SPACE]
    if unknown:
        raise MetamedError(f"unknown pipeline step {unknown[0]!r}{_suggest(unknown[0], SPACE)}.")
    return {step: _canonical_step(step, section, config.get(step, {}))
            for step, section in SPACE.items() if not section.optional or step in config}


def validate_config(config: Mapping) -> None:
    """Raise :class:`MetamedError` with one readable sentence if ``config`` is invalid."""
    canonical_config(config)


def config_hash(config: Mapping) -> str:
    """A 12-hex-digit identifier, the same for equal configs in any key order or run."""
    text = json.dumps(canonical_config(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _canonical_step(step: str, section: Section, given: object) -> dict[str, Scalar]:
    if isinstance(given, str):
        given = {section.selector: given}
    if not isinstance(given, Mapping):
        raise MetamedError(f"step {step!r} must be a dict or a string, not {given!r}.")
    variant = given.get(section.selector, section.default)
    if not isinstance(variant, str) or variant not in section.variants:
        hint = _suggest(variant, section.variants)
        raise MetamedError(f"{step}.{section.selector} = {variant!r} is not known{hint}.")
    domains = section.domains(variant)
    for key in given:
        if key != section.selector and key not in domains:
            raise MetamedError(
                f"{step} {variant!r} has no parameter {key!r}{_suggest(key, domains)}."
            )
    values: dict[str, Scalar] = {section.selector: variant}
    for key, domain in domains.items():
        value = given.get(key, domain.default)
        if not domain.accepts(value):
            expected = domain.describe()
            raise MetamedError(f"{step}.{key} = {value!r} is invalid: expected {expected}.")
        values[key] = domain.canonical(value)
    return {key: value for key, value in values.items() if _applies(domains.get(key), values)}


def _applies(domain: object, values: dict[str, Scalar]) -> bool:
    condition = getattr(domain, "when", None)
    return condition is None or values[condition[0]] in condition[1]


def _suggest(word: object, known: Mapping) -> str:
    """', did you mean ...' for near misses, else the list of valid names."""
    names = [str(name) for name in known]
    close = difflib.get_close_matches(str(word), names, n=3, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(repr(name) for name in close) + "?"
    return "; valid choices are " + ", ".join(repr(name) for name in names)


_SCALE_LABELS = {"standard": "std", "robust": "rob", "quantile": "qnt", "none": ""}
_ENCODE_LABELS = {"onehot": "", "ordinal": "ord", "target": "te"}


def config_name(config: Mapping) -> str:
    """A short human-readable label such as ``logreg_l2-C1-std``.

    Names are for people (tables, reports); two configs may share a name,
    :func:`config_hash` is the identifier.
    """
    full = canonical_config(config)
    model = full["model"]
    head = model["name"] + (f"_{model['penalty']}" if "penalty" in model else "")
    labels = MODEL_FAMILIES[model["name"]].label
    parts = [head, *[f"{label}{_short(model[key])}" for key, label in labels if key in model]]
    parts += [_SCALE_LABELS[full["scale"]["method"]], _ENCODE_LABELS[full["encode"]["method"]]]
    parts += [_select_label(full["select"]), *_impute_labels(full["impute"])]
    parts += [_featurize_label(full["featurize"])] if "featurize" in full else []
    return "-".join(part for part in parts if part)


def _featurize_label(featurize: dict[str, Scalar]) -> str:
    """``ecfp4c2048`` (ECFP4, counts, 2,048 long), ``maccs``, ``rdkit2d``."""
    method = str(featurize["method"])
    if "n_bits" not in featurize:
        return method
    diameter = f"{2 * int(featurize['radius'])}" if "radius" in featurize else ""
    return f"{method}{diameter}{'c' if featurize['counts'] else ''}{featurize['n_bits']}"


def _short(value: Scalar) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "none" if value is None else str(value)


def _select_label(select: dict[str, Scalar]) -> str:
    method = select["method"]
    if method == "none":
        return ""
    if method == "l1":
        return f"l1C{_short(select['C'])}"
    return method + _short(select["fraction"])


def _impute_labels(impute: dict[str, Scalar]) -> list[str]:
    numeric = "" if impute["numeric"] == "median" else str(impute["numeric"])
    return [numeric, "" if impute["indicators"] else "noind"]
