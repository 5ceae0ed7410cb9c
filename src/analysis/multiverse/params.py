"""Parameters of ``h6_specification_curves``, checked before a kernel starts (``ParameterError`` names the bad
one and the valid choices)."""

from __future__ import annotations

import numpy as np

from .. import labels
from ..errors import ParameterError
from . import engine as run_mod
from . import space

DEFAULTS = {"hypotheses": [], "fix": {}, "bootstrap_reps": run_mod.DEFAULT_REPS, "seed": run_mod.DEFAULT_SEED,
            "test": True, "workers": 2, "lang": "ja", "output_dir": ""}


def _int(name, value, low, high=None):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low or \
            (high is not None and value > high):
        raise ParameterError(name, value, f"must be an integer >= {low}" + (f" and <= {high}" if high else ""))


def validate_params(params: dict) -> None:
    """``hypotheses``: [] (every headline hypothesis) or ids with a declared space; ``fix``: {} or {dimension:
    value or [values]} restricting dimensions of the selected spaces; ``bootstrap_reps`` >= 99; ``seed`` >= 0;
    ``test``: bool; ``workers`` 1-16 local processes; ``lang`` ja/en; ``output_dir``: str."""
    p = {**DEFAULTS, **{k: v for k, v in params.items() if k in DEFAULTS}}
    hyps = p["hypotheses"]
    if isinstance(hyps, str) or not isinstance(hyps, (list, tuple)):
        raise ParameterError("hypotheses", hyps, "give a list of hypothesis ids ([] = every headline hypothesis)")
    spaces = space.load()
    space.select(spaces, list(hyps))
    run_mod.check_fix(space.select(spaces, list(hyps)), p["fix"])
    _int("bootstrap_reps", p["bootstrap_reps"], 99)
    _int("seed", p["seed"], 0)
    _int("workers", p["workers"], 1, 16)
    if not isinstance(p["test"], bool):
        raise ParameterError("test", p["test"], "must be True or False", [True, False])
    labels.check_lang(p["lang"])
    if not isinstance(p["output_dir"], str):
        raise ParameterError("output_dir", p["output_dir"], "must be a path string ('' for the default)")
