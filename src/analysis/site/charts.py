"""Interactive versions of the figures: Vega-Lite specifications (built with Altair) from each figure's CSV.

How a CSV is drawn is data (``charts.toml``, one table per CSV stem). The specification holds no numbers: its
data are the figure's CSV, which the page carries verbatim (``<script type="text/csv">``) and ``static/site.js``
hands to vega-embed, so the chart shows exactly the downloadable file. One chart per panel and language; every
point's tooltip gives series, year, value, unit, OECD flag, source and vintage; the legend toggles series.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import labels as area_labels
from .i18n import LANGS, label
from .meta import built_vintages

CHARTS_FILE = Path(__file__).resolve().parent / "charts.toml"
FIELD = {"series": "series_name_", "x": "x_name_", "unit": "unit_", "flag": "flag_", "source": "source_",
         "vintage": "vintage_", "year": "year_"}


@dataclass(frozen=True)
class Panel:
    """One interactive chart: a panel of one CSV, with a specification per language."""

    chart_id: str
    title: tuple[str, str]  # (ja, en); empty when the CSV has one panel
    specs: dict[str, dict[str, Any]]


@lru_cache(maxsize=1)
def config() -> dict[str, dict[str, Any]]:
    """``charts.toml``: how each figure CSV stem is drawn."""
    doc = tomllib.loads(CHARTS_FILE.read_text(encoding="utf-8"))
    for stem, c in doc.items():
        for key in ("mark", "x", "y", "series"):
            if key not in c:
                raise ValueError(f"file {CHARTS_FILE}: [{stem}] lacks {key!r}")
    return doc


def _table(stem: str, key: str) -> dict[str, list[str]]:
    c = config()[stem]
    own = c.get(key, {})
    return {**config()[c["labels_from"]].get(key, {}), **own} if "labels_from" in c else own


def _rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def _series_names(stem: str, rows: list[dict[str, str]]) -> dict[str, tuple[str, str]]:
    """code -> (ja, en) for every series code in the CSV, in order of appearance."""
    c = config()[stem]
    table = _table(stem, "series_labels")
    kind = c.get("series_names", "")
    if kind.startswith("japan_fig"):
        from ..figures import japan_collab  # the figure's own series labels

        table = {**{k: [v[3], v[2]] for k, v in getattr(japan_collab, f"FIG{kind[-1]}_SERIES").items()}, **table}
    names: dict[str, tuple[str, str]] = {}
    for r in rows:
        code = r[c["series"]]
        if code in names:
            continue
        if kind == "areas" and code in area_labels.AREAS:
            en, ja = area_labels.AREAS[code]
        elif code in table:
            ja, en = table[code]
        else:
            ja = r.get(c.get("series_label_column", ""), "") or code
            en = ja
        names[code] = (ja, en)
    return names


def _base_year(rows: list[dict[str, str]]) -> str:
    """The year set to 100: the ``base_year`` column, else the year whose value equals ``base_value``."""
    for r in rows:
        if r.get("base_year"):
            return r["base_year"].split(".")[0]
    years = [r["year"] for r in rows if r.get("base_value") and r.get("value") == r["base_value"]]
    return min(years, key=int) if years else "?"


def vintages(stem: str, manifest_sources: dict[str, dict[str, str]]) -> str:
    """The vintage of each source the figure cites: the manifest's words and the vintage folder
    ``data/processed/BUILD.json`` names (``oecd_msti: March 2025 edition (...) [2025-03]``)."""
    built = built_vintages()
    return "; ".join(f"{s}: {manifest_sources.get(s, {}).get('vintage', 'unknown')}"
                     + (f" [{built[s]}]" if s in built else "") for s in config()[stem].get("vintage_of", []))


def _source_text(stem: str, manifest_sources: dict[str, dict[str, str]]) -> str:
    return "; ".join(manifest_sources.get(s, {}).get("publisher", s) for s in config()[stem].get("vintage_of", []))


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _spec(stem: str, panel: str | None, lang: str, rows: list[dict[str, str]],
          manifest_sources: dict[str, dict[str, str]]) -> dict[str, Any]:
    import altair as alt

    c = config()[stem]
    y, x, series = c["y"], c["x"], c["series"]
    line = c["mark"] == "line"
    parse = {y: "number", **({x: "number"} if line else {}),
             **({c["year_column"]: "number"} if c.get("year_column") else {})}
    names = _series_names(stem, rows)
    lang_i = LANGS.index(lang)
    base = _base_year(rows)
    chart = alt.Chart(alt.NamedData(name="figure_csv", format=alt.DataFormat(type="csv", parse=parse)))
    if panel is not None:
        chart = chart.transform_filter(f"datum[{_quote(c['panel'])}] === {_quote(panel)}")
    chart = chart.transform_lookup(
        lookup=series, default=None,
        from_=alt.LookupData(data=alt.InlineData(values=[{"code": k, FIELD["series"]: v[lang_i]}
                                                         for k, v in names.items()]),
                             key="code", fields=[FIELD["series"]]))
    if "unit_column" in c:
        unit_expr = f"datum[{_quote(c['unit_column'])}] || ''"
    elif panel is not None and _table(stem, "panels").get(panel, ["", "", ""])[2]:
        unit_expr = _quote(_table(stem, "panels")[panel][2])
    else:
        unit_expr = _quote(c.get("unit", ["", ""])[lang_i].format(base_year=base))
    flag_expr = f"datum[{_quote(c['flags'])}] || ''" if "flags" in c else "''"
    src = _quote(_source_text(stem, manifest_sources))
    source_expr = f"datum[{_quote(c['source_column'])}] || {src}" if "source_column" in c else src
    x_col = c["x_en_column"] if lang == "en" and "x_en_column" in c else x
    x_expr = f"datum[{_quote(FIELD['series'])}]" if x == series else f"datum[{_quote(x_col)}]"
    if c.get("x_with_unit"):
        x_expr += f" + ' [' + datum[{_quote(FIELD['unit'])}] + ']'"
    chart = chart.transform_calculate(**{FIELD["unit"]: unit_expr, FIELD["flag"]: flag_expr,
                                         FIELD["source"]: source_expr,
                                         FIELD["vintage"]: _quote(vintages(stem, manifest_sources))})
    chart = chart.transform_calculate(**{FIELD["x"]: x_expr})
    pick = alt.selection_point(name="pick", fields=[FIELD["series"]], bind="legend")
    tip = lambda key: label(key, lang)  # noqa: E731
    tooltip = [alt.Tooltip(f"{FIELD['series']}:N", title=tip("tip_series"))]
    if line:
        tooltip.append(alt.Tooltip(f"{x}:Q", title=tip("tip_year"), format="d"))
    elif c.get("year_column"):
        tooltip.append(alt.Tooltip(f"{c['year_column']}:Q", title=tip("tip_year"), format="d"))
    tooltip += [alt.Tooltip(f"{y}:Q", title=tip("tip_value"), format=c.get("format", ",.4~g")),
                alt.Tooltip(f"{FIELD['unit']}:N", title=tip("tip_unit")),
                alt.Tooltip(f"{FIELD['flag']}:N", title=tip("tip_flag")),
                alt.Tooltip(f"{FIELD['source']}:N", title=tip("tip_source")),
                alt.Tooltip(f"{FIELD['vintage']}:N", title=tip("tip_vintage"))]
    longest = max((len(v[lang_i]) for v in names.values()), default=0)
    legend = alt.Legend(orient="bottom", title=None, columns=1 if longest > 16 else 3, labelLimit=300)
    color = alt.Color(f"{FIELD['series']}:N", legend=legend, sort=[v[lang_i] for v in names.values()])
    y_title = (_table(stem, "panels").get(panel, ["", ""])[lang_i] if panel is not None else "") or \
        c.get("unit", ["", ""])[lang_i].format(base_year=base)
    scale = alt.Scale(type="log") if c.get("y_scale") == "log" else alt.Scale(zero=not line)
    y_enc = alt.Y(f"{y}:Q", title=y_title, scale=scale)
    opacity = alt.condition(pick, alt.value(1.0), alt.value(0.15))
    if line:
        chart = chart.mark_line(point=True, invalid="break-paths-filter-domains").encode(
            x=alt.X(f"{x}:Q", title=tip("tip_year"), axis=alt.Axis(format="d")), y=y_enc, color=color,
            opacity=opacity, tooltip=tooltip)
    else:
        chart = chart.transform_filter(f"isValid(datum[{_quote(y)}])").mark_bar().encode(
            x=alt.X(f"{FIELD['x']}:N", title=None, sort="-y", axis=alt.Axis(labelAngle=-40, labelLimit=140)),
            y=y_enc, color=color, opacity=opacity, tooltip=tooltip)
    chart = chart.add_params(pick).properties(width="container", height=320)
    # Validated against the Vega-Lite schema by tests/test_chart_specs.py, not on every build (half the
    # chart time: the spec is the same code for any data, which the browser reads from the CSV).
    return chart.to_dict(validate=False)


def panels(stem: str, csv_text: str, manifest_sources: dict[str, dict[str, str]]) -> list[Panel]:
    """The interactive charts of one figure CSV (none when ``charts.toml`` has no table for it)."""
    if stem not in config():
        return []
    c = config()[stem]
    rows = _rows(csv_text)
    codes = list(dict.fromkeys(r[c["panel"]] for r in rows)) if "panel" in c else [None]
    table = _table(stem, "panels")
    out = []
    for code in codes:
        ja, en = (table.get(code, [code, code])[:2] if code is not None else ("", ""))
        out.append(Panel(chart_id=f"chart-{stem}" + (f"-{code}" if code is not None else ""), title=(ja, en),
                         specs={lang: _spec(stem, code, lang, rows, manifest_sources) for lang in LANGS}))
    return out


def spec_json(specs: dict[str, dict[str, Any]]) -> str:
    """Both languages' specifications as deterministic JSON, safe inside ``<script>``."""
    text = json.dumps(specs, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("</", "<\\/")
