"""Registered hypotheses (``analysis/hypotheses/<family>.toml``) and verdicts computed from estimates.

A hypothesis is written down before estimation: the coefficient(s) that carry it, the expected sign and the
decision rule. ``verdict()`` turns an estimate into supported / not supported / contrary, or refuses a verdict
when the estimate rests on fewer clusters than the registry's stated minimum; nothing else does.

Each family has one file, read through ``analysis.inputs.package`` so that a notebook that asks for its own
family depends on its own registry file only. Besides the registered fields, a file may state (top level, or per
hypothesis to override) fields that say how a verdict is checked, added after registration and changing no
registered field: ``min_clusters`` (no verdict below it), ``cluster`` (the variable the registered inference
clusters on, as named in the estimation data) and ``cluster_unit`` (its name in messages), and ``notebook``
(the notebook that estimates the hypothesis).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import inputs
from .errors import DataFileError, ParameterError

HYPOTHESES_DIR = Path(__file__).parent / "hypotheses"
REQUIRED = ("id", "family", "statement", "unit", "data", "outcome", "regressors", "coefficients",
            "expected_sign", "estimators", "inference", "alpha")
# fields a file may state at its top level for every hypothesis in it (a hypothesis may override them)
FILE_DEFAULTS = ("min_clusters", "cluster", "cluster_unit", "notebook")
SIGNS = {"+", "-"}
SUPPORTED, NOT_SUPPORTED, CONTRARY = "supported", "not supported", "contrary"
NO_VERDICT_FEW_CLUSTERS = "no verdict (too few clusters)"


@dataclass(frozen=True)
class Hypothesis:
    id: str
    family: str
    statement: str
    unit: str
    data: str
    outcome: str
    regressors: list[str]
    coefficients: list[str]
    expected_sign: str
    estimators: list[str]
    inference: str
    alpha: float
    combine: str = "single"  # "single" coefficient, or "sum" of the listed coefficients
    decision_rule: str = ""
    headline: bool = True
    min_clusters: int | None = None  # no verdict on fewer clusters (None: no minimum stated)
    cluster: str = ""  # variable the registered inference clusters on ("" : not stated)
    cluster_unit: str = ""  # what a cluster is, for messages ("firm", "country-sector", ...)
    notebook: str = ""  # the notebook that estimates it
    extra: dict = field(default_factory=dict)


def family_names(directory: Path | None = None) -> list[str]:
    """The families with a registry file (``<family>.toml``) in ``directory`` (default: the package's)."""
    return sorted(p.stem for p in (directory or HYPOTHESES_DIR).glob("*.toml"))


def _check_file_fields(path: Path, values: dict, where: str) -> None:
    mc = values.get("min_clusters")
    if mc is not None and (not isinstance(mc, int) or isinstance(mc, bool) or mc < 2):
        raise DataFileError(path, f"{where}min_clusters must be an integer >= 2, got {mc!r}", column="min_clusters")
    for key in ("cluster", "cluster_unit", "notebook"):
        if key in values and not isinstance(values[key], str):
            raise DataFileError(path, f"{where}{key} must be a string, got {values[key]!r}", column=key)


def _read(path: Path, family: str) -> list[Hypothesis]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(path, f"registry file of family {family!r} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"not valid TOML: {exc}") from exc
    defaults = {k: doc[k] for k in FILE_DEFAULTS if k in doc}
    _check_file_fields(path, defaults, "")
    known = set(Hypothesis.__dataclass_fields__) - {"extra"}
    out = []
    for i, entry in enumerate(doc.get("hypothesis", [])):
        for key in REQUIRED:
            if key not in entry:
                raise DataFileError(path, f"hypothesis #{i + 1} lacks {key!r}", column=key)
        if entry["expected_sign"] not in SIGNS:
            raise DataFileError(path, f"{entry['id']}: expected_sign must be '+' or '-'", column="expected_sign")
        # a family is read from its own file only, so an entry filed elsewhere would silently go missing
        if entry["family"] != family:
            raise DataFileError(path, f"{entry['id']}: family {entry['family']!r} filed in {path.name} "
                                      f"(each family's hypotheses belong in <family>.toml)", column="family")
        _check_file_fields(path, entry, f"{entry['id']}: ")
        entry = {**defaults, **entry}
        extra = {k: v for k, v in entry.items() if k not in known}
        base = {k: v for k, v in entry.items() if k in known}
        if not base.get("decision_rule"):
            base["decision_rule"] = (f"two-sided test at {entry['alpha']:.0%}: supported if the estimate has sign "
                                     f"{entry['expected_sign']} and p < {entry['alpha']}; contrary if the opposite "
                                     f"sign with p < {entry['alpha']}; otherwise not supported")
            if base.get("min_clusters"):
                base["decision_rule"] += f"; no verdict on fewer than {base['min_clusters']} clusters"
        out.append(Hypothesis(**base, extra=extra))
    return out


def load(directory: Path | None = None, families: list[str] | str | None = None) -> list[Hypothesis]:
    """Read the registry files of ``families`` (all when None): ``<directory>/<family>.toml`` each.

    With ``directory`` None the package's files are read through ``inputs.package("hypotheses/<family>.toml")``,
    so a notebook declares exactly the files of the families it asks for. An unknown family raises
    ``ParameterError`` with the valid ones; a malformed entry raises ``DataFileError`` naming file and field.
    """
    available = family_names(directory)
    wanted = available if families is None else [families] if isinstance(families, str) else list(families)
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise ParameterError("families", unknown, "no registry file for these families", available)
    out: list[Hypothesis] = []
    seen: dict[str, str] = {}
    for family in dict.fromkeys(wanted):
        path = (inputs.package(f"hypotheses/{family}.toml") if directory is None
                else Path(directory) / f"{family}.toml")
        for h in _read(path, family):
            if h.id in seen:
                raise DataFileError(path, f"duplicate hypothesis id {h.id!r} (also in {seen[h.id]})", column="id")
            seen[h.id] = path.name
            out.append(h)
    return out


def get(hid: str, directory: Path | None = None, families: list[str] | str | None = None) -> Hypothesis:
    """One hypothesis by id (from the given families' files, all by default)."""
    hyps = {h.id: h for h in load(directory, families)}
    if hid not in hyps:
        raise ParameterError("hypothesis", hid, "not registered", sorted(hyps))
    return hyps[hid]


def verdict(estimate: float, p_value: float, expected_sign: str, alpha: float,
            n_clusters: float | None = None, min_clusters: int | None = None) -> str:
    """Decision rule: significant with the expected sign -> supported; significant and opposite -> contrary.

    With a stated ``min_clusters``, an estimate whose inference rests on fewer clusters (``n_clusters``) gets no
    verdict: ``NO_VERDICT_FEW_CLUSTERS``. ``n_clusters`` None means the inference used no clusters.
    """
    if expected_sign not in SIGNS:
        raise ParameterError("expected_sign", expected_sign, "must be '+' or '-'", sorted(SIGNS))
    if not (0 < alpha < 1):
        raise ParameterError("alpha", alpha, "must lie in (0, 1)")
    if min_clusters is not None and n_clusters is not None and n_clusters == n_clusters \
            and n_clusters < min_clusters:
        return NO_VERDICT_FEW_CLUSTERS
    if p_value != p_value or estimate != estimate:  # NaN: estimate not identified
        return NOT_SUPPORTED
    if p_value >= alpha:
        return NOT_SUPPORTED
    right = estimate > 0 if expected_sign == "+" else estimate < 0
    return SUPPORTED if right else CONTRARY
