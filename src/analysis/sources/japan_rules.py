"""How ``analysis.sources.japan`` reads each series: rule tables decided from ``data/raw/japan/SOURCE.md``
once per series family, not guessed per row.

- ``SERIES_RULES``: series-name pattern -> year type, natural entity and entity type, and how to read
  the ``|X`` category. Entities: ``JPN`` for Japanese national totals (MEXT, NISTEP, METI, UNITT,
  JPO), ``USA`` for AUTM / NCSES / HERD national totals, the university's own name for one university
  (``Harvard University``; Japanese universities by their Japanese name as in the NIAD file,
  e.g. ``東京大学``), ``国立大学法人`` for all national university corporations together, the
  organisation's name for Fraunhofer, Berkeley SkyDeck and Quantonation. Country codes in categories
  (``JP``, ``us``, ``gb``, ``eu27`` ...) become ISO3 / OECD codes (``JPN``, ``USA``, ``GBR``,
  ``EU27_2020``). Total categories (``合計``, ``総額``) map to the natural entity.
- Year types: ``fiscal_jp`` (年度, April-March) for MEXT, NIAD, UNITT, JPO, METI and NISTEP tables
  of Japanese fiscal-year surveys (5-4-5, 1-3-17, 1-1-5, 1-1-6, the 5-4 joint-research text);
  ``calendar`` for NISTEP international researcher counts (2-1-3, 2-2-4 text) and for Fraunhofer,
  SkyDeck and Quantonation; ``fiscal_us`` for AUTM, NCSES/HERD and Harvard (institutions' fiscal years,
  Harvard's ending June 30, named by the year they end); ``unknown`` with ``<NA>`` year where the
  source states no year.
- ``UNITS``: every unit string -> (multiplier, base unit). Values are converted exactly (decimal
  arithmetic) to base units ``JPY``, ``USD``, ``EUR``, ``count``, ``persons``, ``%``, ``ratio``;
  the value and unit as written in the file are kept at the start of ``note`` (e.g. ``847 億円``).
  An unknown unit is an error naming the file, column ``unit`` and row.
- ``FLAG_RULES``: status flags stated by the sources: ``P`` (provisional) for METI's 2025 速報 survey,
  ``B`` (break) for 特許権実施等件数 in FY2012, when MEXT changed how it counts.
- ``RELIABILITY``: the collector's grades, in the order ``best`` uses to choose between sources.
- ``ENTITY_EN``: English display names of the breakdown entities (used by ``japan_select.entity_label``).
"""

from __future__ import annotations

import re

# Reliability grades (SOURCE.md "Conventions"), best first. ``best`` prefers earlier grades: the issuing
# body's own text, then verbatim copies of it, then other official bodies' tables built from the survey,
# NISTEP's text, values a third-party script extracted from official Excel files, news quoting releases,
# then unverified and low-reliability pages.
RELIABILITY: tuple[str, ...] = (
    "primary", "official-copy", "official-derivative", "official-text", "third-party-derived",
    "secondary-news", "unverified-secondary", "low-reliability",
)

# unit as written -> (multiplier to base unit, base unit)
UNITS: dict[str, tuple[str, str]] = {
    "円": ("1", "JPY"), "千円": ("1e3", "JPY"), "万円": ("1e4", "JPY"), "百万円": ("1e6", "JPY"),
    "億円": ("1e8", "JPY"), "JPY tn": ("1e12", "JPY"),
    "USD": ("1", "USD"), "USD k": ("1e3", "USD"), "USD m": ("1e6", "USD"), "USD m (current)": ("1e6", "USD"),
    "USD bn": ("1e9", "USD"),
    "EUR": ("1", "EUR"), "EUR m": ("1e6", "EUR"), "EUR bn": ("1e9", "EUR"),
    "件": ("1", "count"), "万件": ("1e4", "count"), "社": ("1", "count"), "count": ("1", "count"),
    "institutions": ("1", "count"),
    "人": ("1", "persons"), "万人": ("1e4", "persons"), "persons": ("1", "persons"),
    "%": ("1", "%"),
    "ratio": ("1", "ratio"), "ratio (FY2023/FY2004)": ("1", "ratio"),
}

# How to read the ``|X`` category of a series family.
#   None              -> no category allowed
#   "university"      -> X is a university name (entity_type university)
#   "university_group"-> X is a group (国立大学等 ...); totals (合計/総額) -> natural entity
#   "country_code"    -> X is a country code, mapped by COUNTRY_CODES
#   "sector_flow"     -> X is a funding flow "負担部門->使用部門" (entity_type sector)
# (series-name pattern, year_type, natural entity, natural entity_type, category kind); first match wins.
SERIES_RULES: list[tuple[str, str, str, str, str | None]] = [
    # MEXT 大学等における産学連携等実施状況 (年度) and derived tables (JST, JPO, 大学ファクトブック)
    (r"(joint_research|contract_research|research_funding|ip_income|large_research)_.*", "fiscal_jp", "JPN", "country", None),
    (r"patent_income|university_startups_founded_mext", "fiscal_jp", "JPN", "country", None),
    (r"patent_licensing_(count|income)", "fiscal_jp", "JPN", "country", "university_group"),
    # NISTEP 科学技術指標: fiscal-year Japanese surveys
    (r"nistep_5-4-5_.*", "fiscal_jp", "JPN", "country", None),
    (r"nistep_1-3-17_.*", "fiscal_jp", "JPN", "country", "university_group"),
    (r"nistep_1-1-5_.*", "fiscal_jp", "JPN", "country", "sector_flow"),
    (r"nistep2026_1-1-6_.*", "fiscal_jp", "JPN", "country", None),
    (r"nistep_(joint_research|indirect_cost_ratio)_.*", "fiscal_jp", "JPN", "country", None),
    # NISTEP international researcher counts (OECD-based, calendar years)
    (r"nistep_2-1-3_.*", "calendar", "", "country", "country_code"),
    (r"business_researchers_fte(_yoy)?|researchers_total_fte", "calendar", "", "country", "country_code"),
    # METI 大学発ベンチャー実態等調査 (survey fiscal year; counts at October of that year)
    (r"meti_university_startups_cumulative", "fiscal_jp", "JPN", "country", None),
    (r"meti_university_startups_by_univ", "fiscal_jp", "", "university", "university"),
    # UNITT 大学技術移転サーベイ (年度)
    (r"unitt_jp_.*", "fiscal_jp", "JPN", "country", None),
    # AUTM Licensing Activity Survey, NCSES tables from it, HERD: institutions' fiscal years
    (r"(autm_us|autm_univ|us_herd)_.*", "fiscal_us", "USA", "country", None),
    # University finance
    (r"niad_.*", "fiscal_jp", "", "university", "university"),
    (r"harvard_.*", "fiscal_us", "Harvard University", "university", None),
    (r"utokyo_.*", "fiscal_jp", "東京大学", "university", None),
    (r"kyoto_.*", "fiscal_jp", "京都大学", "university", None),
    (r"tohoku_.*", "fiscal_jp", "東北大学", "university", None),
    (r"jp_national_univ_.*", "fiscal_jp", "国立大学法人", "university_group", None),
    # Deck part E: organisations abroad (financial year = calendar year; fund sizes by announcement year)
    (r"fraunhofer_.*", "calendar", "Fraunhofer-Gesellschaft", "organisation", None),
    (r"skydeck_.*", "calendar", "Berkeley SkyDeck", "organisation", None),
    (r"quantonation_.*", "calendar", "Quantonation", "organisation", None),
]

TOTAL_CATEGORIES = {"合計", "総額"}
# category code -> (entity, entity_type, indicator suffix). jp_hc / jp_fte are measures of Japan (head count,
# full-time equivalent, from 2002), kept apart from "jp" (old definition, to 2001) by the indicator suffix.
COUNTRY_CODES: dict[str, tuple[str, str, str]] = {
    "JP": ("JPN", "country", ""), "jp": ("JPN", "country", ""),
    "jp_hc": ("JPN", "country", "_hc"), "jp_fte": ("JPN", "country", "_fte"),
    "US": ("USA", "country", ""), "us": ("USA", "country", ""),
    "CN": ("CHN", "country", ""), "cn": ("CHN", "country", ""),
    "KR": ("KOR", "country", ""), "kr": ("KOR", "country", ""),
    "DE": ("DEU", "country", ""), "de": ("DEU", "country", ""),
    "FR": ("FRA", "country", ""), "fr": ("FRA", "country", ""),
    "UK": ("GBR", "country", ""), "gb": ("GBR", "country", ""),
    "eu27": ("EU27_2020", "aggregate", ""),
}

# (series-name pattern, year, flag, reason): status information stated by the sources.
FLAG_RULES: list[tuple[str, int, str, str]] = [
    (r"meti_university_startups_(cumulative|by_univ)", 2025, "P", "METI 令和7年度調査は速報 (preliminary)"),
    (r"patent_licensing_count", 2012, "B", "MEXT changed how 特許権実施等件数 is aggregated in FY2012"),
]

# Display names of breakdown entities (Japanese as in the files -> English).
ENTITY_EN: dict[str, str] = {
    "国立大学等": "National universities etc.", "公立大学等": "Public (local) universities etc.",
    "私立大学等": "Private universities etc.", "国立大学": "National universities",
    "公立大学": "Public (local) universities", "私立大学": "Private universities",
    "国立大学法人": "National university corporations", "東京大学": "University of Tokyo",
    "京都大学": "Kyoto University", "東北大学": "Tohoku University",
}


def _rule(base: str) -> tuple[str, str, str, str | None] | None:
    """(year type, natural entity, entity type, category kind) of a series name: the first rule that matches."""
    for pattern, year_type, entity, etype, kind in SERIES_RULES:
        if re.fullmatch(pattern, base):
            return year_type, entity, etype, kind
    return None


