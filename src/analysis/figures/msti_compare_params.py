"""The ``compare_vintage`` parameter of the MSTI figures (1, 3, 4): its name, the source and raw file it names a
vintage of, and its check. A module of its own so that the figures' validate hooks import no drawing code; the
overlay itself is :mod:`msti_compare`."""

from __future__ import annotations

from typing import Any

from .. import vintage_params
from ..sources import msti

PARAM = "compare_vintage"
SOURCE = msti.SOURCE
RAW_FILE = "msti_raw.csv.gz"  # as declared: compare_vintage:oecd_msti/msti_raw.csv.gz


def check(value: Any) -> str | None:
    """The vintage ``compare_vintage`` names (None for ""); ``ParameterError`` listing the committed vintages."""
    return vintage_params.resolve(PARAM, value, SOURCE)
