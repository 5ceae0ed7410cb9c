"""Parameters of figure 9 (the deck's own statements) and their check, which runs before any work (also as the
notebook's validate hook, which must import no drawing code)."""

from __future__ import annotations

from .. import deck, labels
from ..errors import ParameterError
from .common import check_output_dir

DEFAULTS: dict[str, object] = {"lang": "ja", "rel_tol": deck.DEFAULT_REL_TOL, "output_dir": ""}


def validate_params(params: dict) -> None:
    """Reject unknown or invalid notebook parameters (``lang``, ``rel_tol``, ``output_dir``)."""
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise ParameterError(unknown[0], params[unknown[0]], "unknown parameter", sorted(DEFAULTS))
    p = {**DEFAULTS, **params}
    labels.check_lang(p["lang"])
    deck.check_rel_tol(p["rel_tol"])
    check_output_dir(p["output_dir"])
