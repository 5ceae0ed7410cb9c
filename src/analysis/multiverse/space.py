"""Declared specification spaces (``analysis/hypotheses/spaces/<family>.toml``): loading, checking, enumerating.

A space file holds one ``[[space]]`` per headline hypothesis: the carrying ``term``, the ``dimensions`` (name ->
list of values), the registered ``headline`` choice of every dimension and ``[[space.exclude]]`` rules
(``when`` = {dimension: value or list of values}, all of which must match, and ``why``). The grid of a hypothesis
is the product of its dimensions minus the combinations an exclusion rule matches; ``grid_accounting`` says how
many each rule removed, so that "product minus documented exclusions" can be checked.

Values are checked against what the family's estimation module understands (``analysis.multiverse.choices``): an unknown dimension or value is a ``DataFileError`` naming file,
hypothesis and dimension. A dimension a hypothesis does not declare does not apply to it (e.g. the price basis
of BERD and HERD for the ratio models C2, C3). Files are read through ``analysis.inputs.package`` (declared reads).
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import inputs, registry
from . import choices as choices_mod
from ..errors import DataFileError, ParameterError

SPACES_DIR = Path(__file__).resolve().parent.parent / "hypotheses" / "spaces"
FAMILIES = ("firm", "industry", "country")


@dataclass(frozen=True)
class Exclusion:
    """Skip every specification whose choices match all of ``when`` (value or tuple of values per dimension)."""

    when: dict
    why: str

    def matches(self, choice: dict) -> bool:
        return all(choice[d] in vals for d, vals in self.when.items())


@dataclass(frozen=True)
class Space:
    """The declared specification space of one hypothesis."""

    family: str
    hypothesis: str
    term: str
    dimensions: dict  # name -> tuple of values, in file order
    headline: dict
    exclusions: tuple[Exclusion, ...] = ()
    settings: dict = field(default_factory=dict)  # file-level entries (e.g. country lists)

    @property
    def product(self) -> int:
        n = 1
        for vals in self.dimensions.values():
            n *= len(vals)
        return n

    def excluded_by(self, choice: dict) -> Exclusion | None:
        """The first rule that skips ``choice`` (None when it is in the grid)."""
        return next((e for e in self.exclusions if e.matches(choice)), None)

    def grid(self, fix: dict | None = None) -> list[dict]:
        """Every specification's choices (dicts in dimension order), optionally with some dimensions fixed."""
        dims = self.restricted(fix)
        names = list(dims)
        out = []
        for combo in itertools.product(*dims.values()):
            choice = dict(zip(names, combo))
            if self.excluded_by(choice) is None:
                out.append(choice)
        return out

    def restricted(self, fix: dict | None = None) -> dict:
        """Dimensions with ``fix`` applied ({dimension: value or list of values}); checks names and values."""
        dims = dict(self.dimensions)
        for d, v in (fix or {}).items():
            if d not in dims:
                raise ParameterError("fix", d, f"not a dimension of {self.hypothesis}'s space", list(dims))
            vals = tuple(v) if isinstance(v, (list, tuple)) else (v,)
            bad = [x for x in vals if x not in dims[d]]
            if bad or not vals:
                raise ParameterError("fix", {d: v}, f"not declared values of {self.hypothesis}.{d}", list(dims[d]))
            dims[d] = vals
        return dims


def _where(path, hyp: str, msg: str, column: str | None = None) -> DataFileError:
    return DataFileError(path, f"space of {hyp}: {msg}", column=column)


def _check_space(path: Path, family: str, entry: dict, settings: dict, choices: dict, registered: dict) -> Space:
    hyp = entry.get("hypothesis")
    if not isinstance(hyp, str) or hyp not in registered:
        raise DataFileError(path, f"[[space]] names hypothesis {hyp!r}, which {family}.toml does not register "
                                  f"(registered: {sorted(registered)})", column="hypothesis")
    h = registered[hyp]
    if not h.headline:
        raise _where(path, hyp, "is not a headline hypothesis in the registry", "hypothesis")
    term = entry.get("term")
    if term not in h.coefficients:
        raise _where(path, hyp, f"term {term!r} is not its registered coefficient {h.coefficients}", "term")
    dims_raw = entry.get("dimensions")
    if not isinstance(dims_raw, dict) or not dims_raw:
        raise _where(path, hyp, "needs a [space.dimensions] table with at least one dimension", "dimensions")
    dims = {}
    for d, vals in dims_raw.items():
        if d not in choices:
            raise _where(path, hyp, f"unknown dimension {d!r} (the {family} estimators understand {sorted(choices)})",
                         d)
        if not isinstance(vals, list) or not vals:
            raise _where(path, hyp, f"dimension {d!r} must be a non-empty list of values", d)
        if len(set(map(repr, vals))) != len(vals):
            raise _where(path, hyp, f"dimension {d!r} lists a value twice: {vals}", d)
        for v in vals:
            problem = choices[d](v)
            if problem:
                raise _where(path, hyp, f"dimension {d!r}, value {v!r}: {problem}", d)
        dims[d] = tuple(vals)
    head = entry.get("headline")
    if not isinstance(head, dict) or set(head) != set(dims):
        raise _where(path, hyp, f"[space.headline] must give exactly one value per dimension {list(dims)}", "headline")
    for d, v in head.items():
        if v not in dims[d]:
            raise _where(path, hyp, f"headline {d} = {v!r} is not among the declared values {list(dims[d])}", d)
    rules = []
    for i, ex in enumerate(entry.get("exclude", [])):
        when, why = ex.get("when"), ex.get("why")
        if not isinstance(when, dict) or not when:
            raise _where(path, hyp, f"exclusion #{i + 1} needs a non-empty 'when' table", "exclude")
        if not isinstance(why, str) or not why.strip():
            raise _where(path, hyp, f"exclusion #{i + 1} needs a 'why' (say why the combination is skipped)",
                         "exclude")
        norm = {}
        for d, v in when.items():
            vals = tuple(v) if isinstance(v, list) else (v,)
            if d not in dims:
                raise _where(path, hyp, f"exclusion #{i + 1} names unknown dimension {d!r}", d)
            bad = [x for x in vals if x not in dims[d]]
            if bad:
                raise _where(path, hyp, f"exclusion #{i + 1}: {d} = {bad} not among {list(dims[d])}", d)
            norm[d] = vals
        rules.append(Exclusion(norm, why.strip()))
    space = Space(family, hyp, term, dims, dict(head), tuple(rules), settings)
    hit = space.excluded_by(space.headline)
    if hit is not None:
        raise _where(path, hyp, f"the headline specification is excluded by the rule {hit.when} ({hit.why})",
                     "exclude")
    return space


def load(families: list[str] | str | None = None, directory: Path | None = None) -> list[Space]:
    """The declared spaces of ``families`` (all by default), in file order; validated (see module docstring)."""
    wanted = list(FAMILIES) if families is None else [families] if isinstance(families, str) else list(families)
    bad = [f for f in wanted if f not in FAMILIES]
    if bad:
        raise ParameterError("families", bad, "no specification space for these families", FAMILIES)
    out = []
    for family in wanted:
        path = (inputs.package(f"hypotheses/spaces/{family}.toml") if directory is None
                else Path(directory) / f"{family}.toml")
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise DataFileError(path, f"specification space of family {family!r} not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise DataFileError(path, f"not valid TOML: {exc}") from exc
        if doc.get("family") != family:
            raise DataFileError(path, f"family = {doc.get('family')!r}, expected {family!r}", column="family")
        settings = {k: v for k, v in doc.items() if k not in ("family", "space")}
        problem = choices_mod.settings_problem(family, settings)
        if problem:
            raise DataFileError(path, problem)
        registered = {h.id: h for h in registry.load(families=family)}
        choices = choices_mod.for_family(family, settings)
        seen = set()
        for entry in doc.get("space", []):
            sp = _check_space(Path(path), family, entry, settings, choices, registered)
            if sp.hypothesis in seen:
                raise DataFileError(path, f"two spaces for {sp.hypothesis}", column="hypothesis")
            seen.add(sp.hypothesis)
            out.append(sp)
    return out


def select(spaces: list[Space], hypotheses: list[str] | None) -> list[Space]:
    """The spaces of ``hypotheses`` ([] or None: every space), in the given order."""
    if not hypotheses:
        return list(spaces)
    by_id = {s.hypothesis: s for s in spaces}
    bad = [h for h in hypotheses if h not in by_id]
    if bad:
        raise ParameterError("hypotheses", bad, "no declared specification space", list(by_id))
    return [by_id[h] for h in hypotheses]


def grid_accounting(space: Space, fix: dict | None = None) -> list[dict]:
    """How the grid size arises: the product, then per rule the specifications it removes (first match wins)."""
    dims = space.restricted(fix)
    total = 1
    for v in dims.values():
        total *= len(v)
    counts = [0] * len(space.exclusions)
    for combo in itertools.product(*dims.values()):
        hit = space.excluded_by(dict(zip(dims, combo)))
        if hit is not None:
            counts[space.exclusions.index(hit)] += 1
    rows = [{"hypothesis": space.hypothesis, "step": "product of the declared dimensions", "specifications": total,
             "why": " x ".join(f"{d} ({len(v)})" for d, v in dims.items())}]
    rows += [{"hypothesis": space.hypothesis, "step": f"skip {dict((d, list(v)) for d, v in e.when.items())}",
              "specifications": -n, "why": e.why} for e, n in zip(space.exclusions, counts)]
    rows.append({"hypothesis": space.hypothesis, "step": "grid", "specifications": total - sum(counts), "why": ""})
    return rows
