"""Parameters of ``h5_summary_all_hypotheses``, checked before a kernel starts (a module of its own, so that the
runner's check imports neither the estimation stack nor matplotlib, which ``summary`` needs)."""

from __future__ import annotations

from .. import labels
from ..errors import ParameterError


def validate_params(params: dict) -> None:
    """Check the summary notebook's parameters: ``lang`` ja/en, ``bootstrap_reps`` an integer >= 99."""
    labels.check_lang(params.get("lang", "ja"))
    reps = params.get("bootstrap_reps", 999)
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 99:
        raise ParameterError("bootstrap_reps", reps, "must be an integer >= 99")
