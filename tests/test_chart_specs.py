"""Every interactive chart of the site is a valid Vega-Lite specification. The site builds them without
altair's validation (half the chart time on every build); the specification is the same code for any data,
which the browser reads from the figure's CSV, so validating each configured chart once here is enough."""

from __future__ import annotations

import csv
import io

import altair as alt
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import load_schema

from analysis.site import charts

OPTIONAL_COLUMNS = ("panel", "flags", "unit_column", "source_column", "year_column", "x_en_column",
                    "series_label_column")


def _csv_for(stem: str) -> str:
    """Two rows with every column the chart of ``stem`` reads (the chart's code, not the data, is checked)."""
    c = charts.config()[stem]
    line = c["mark"] == "line"
    panels = list(charts._table(stem, "panels")) or ["P"]
    rows = []
    for i, (series, x) in enumerate((("JPN", 2020), ("USA", 2021))):
        row = {c["series"]: series, c["y"]: str(1.5 + i), c["x"]: str(x) if line else series}
        for key in OPTIONAL_COLUMNS:
            if key in c:
                row[c[key]] = {"panel": panels[0], "flags": "E", "year_column": "2021"}.get(key, f"{key} {i}")
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("stem", sorted(charts.config()))
def test_chart_is_valid_vega_lite(stem):
    made = charts.panels(stem, _csv_for(stem), {})
    assert made, f"{stem}: no chart made"
    schema = load_schema()
    for panel in made:
        for lang in charts.LANGS:
            spec = panel.specs[lang]
            assert spec["$schema"] == alt.SCHEMA_URL
            validate_jsonschema(spec, schema)  # raises, naming the property, when the code makes a bad one


def test_the_check_rejects_a_bad_specification():
    stem = sorted(charts.config())[0]
    spec = charts.panels(stem, _csv_for(stem), {})[0].specs["en"]
    bad = {**spec, "mark": {**spec["mark"], "type": "linez"}}
    with pytest.raises(Exception, match="linez"):
        validate_jsonschema(bad, load_schema())
