"""The deck's own quantitative statements, as a machine-readable registry.

The METI deck 「ディープテックに対応した産学官連携」 quotes numbers of its own (partnership amounts, Kyushu
University case counts, Quantonation funds, the Fraunhofer rule, UC Berkeley SkyDeck, ...). They are shown as
*the deck's statements* (source = the deck), never mixed into a measured series.

Every :class:`Statement` keeps the exact quote from ``data/raw/deck/deck.txt`` and the part of the quote that holds
the number; the value is parsed from that text (:func:`parse_number`), never typed. Where the project holds an
independent source for the same quantity (``data/raw/japan/deck_misc_sources.csv``, loaded through
``analysis.sources.japan``), :func:`crosscheck` compares the two and reports ``agree`` / ``differ`` /
``not available``. :func:`consistency` checks the deck against itself (parts that should add up, yen amounts
converted at the rate the deck states).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .errors import DataFileError, ParameterError

DECK_FILE = Path("deck") / "deck.txt"

AGREE, DIFFER, NOT_AVAILABLE = "agree", "differ", "not available"
STATUSES = (AGREE, DIFFER, NOT_AVAILABLE)
QUALIFIERS = {"exact", "approx", "max", "at_least", "each"}
TOPICS = ("partnership", "kyushu", "quantonation", "fraunhofer", "skydeck", "us_vc")
DEFAULT_REL_TOL = 0.05

_MULT = {"": 1.0, "万": 1e4, "億": 1e8, "兆": 1e12, "k": 1e3, "M": 1e6, "bn": 1e9}
_NUM_RE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s*(万|億|兆|k|M|bn)?$")
_FRAC_RE = re.compile(r"^(\d+)\s*/\s*(\d+)$")
_WORDS = {"半分": 0.5}


def parse_number(text: str) -> float:
    """Parse the number in a piece of deck text: '5,400万' -> 54e6, '7.1億' -> 7.1e8, '90.1M' -> 90.1e6, '1/3' -> 0.333.

    Accepts digits with thousands commas and decimals, an optional multiplier (万, 億, 兆, k, M, bn; spaces
    allowed before it, as in '8,500 万'), a simple fraction 'a/b', or the word 半分 (half).
    """
    s = text.strip()
    if s in _WORDS:
        return _WORDS[s]
    m = _FRAC_RE.match(s)
    if m:
        return int(m.group(1)) / int(m.group(2))
    m = _NUM_RE.match(s)
    if not m:
        raise ValueError(f"cannot parse a number from {text!r} (expected e.g. '5,400万', '7.1億', '90.1M', '1/3')")
    return float(m.group(1).replace(",", "")) * _MULT[m.group(2) or ""]


@dataclass(frozen=True)
class Check:
    """How to find the same quantity in the collected sources (tidy ``japan`` frame, by ``indicator``).

    The source value is the sum of the ``numerator`` indicators in ``year`` (``None`` = the undated row; a tuple
    gives one year per numerator indicator); with a ``denominator`` it is the ratio numerator/denominator in
    ``year`` (x100 when the statement's unit is ``%``).
    """

    numerator: tuple[str, ...]
    year: int | None | tuple[int | None, ...]
    denominator: tuple[str, ...] = ()
    note_en: str = ""
    note_ja: str = ""


@dataclass(frozen=True)
class Statement:
    """One quantitative statement of the deck.

    ``quote`` is verbatim deck text (line breaks kept); ``number`` (and ``number_high`` for a range) is the part
    of the quote that holds the value. ``unit`` is a base unit (JPY, USD, SGD, EUR, count, persons, %,
    share, JPY/EUR). ``equivalent_of`` names the statement whose amount this one restates in yen.
    """

    id: str
    topic: str
    subject_en: str
    subject_ja: str
    quantity_en: str
    quantity_ja: str
    quote: str
    number: str
    unit: str
    qualifier: str = "exact"
    year: int | None = None
    period: str = ""
    number_high: str = ""
    equivalent_of: str = ""
    checks: tuple[Check, ...] = ()
    check_note_en: str = ""
    check_note_ja: str = ""

    @property
    def value(self) -> float:
        """The value parsed from ``number`` (the lower bound for a range)."""
        return parse_number(self.number)

    @property
    def value_high(self) -> float:
        """Upper bound of a range statement, NaN otherwise."""
        return parse_number(self.number_high) if self.number_high else math.nan

    def subject(self, lang: str) -> str:
        return self.subject_en if lang == "en" else self.subject_ja

    def quantity(self, lang: str) -> str:
        return self.quantity_en if lang == "en" else self.quantity_ja


@dataclass(frozen=True)
class Consistency:
    """An internal check of the deck: ``parts`` should add up to ``target`` (kind ``sum``), or amount x rate
    should give the yen figure ``target`` (kind ``convert``, parts = (amount, rate))."""

    id: str
    kind: str
    parts: tuple[str, ...]
    target: str
    label_en: str
    label_ja: str


_NA_KYUSHU_EN = ("no independent source: Kyushu University legal / export-control case counts were not found "
                 "outside the deck (data/raw/japan/SOURCE.md, known gaps)")
_NA_KYUSHU_JA = "独立した出典なし（九州大学の法務・安全保障輸出管理の件数は資料以外で見つからず: data/raw/japan/SOURCE.md）"
_NA_PARTNER_EN = "no independent source collected for this partnership (the deck cites the parties' announcements)"
_NA_PARTNER_JA = "この連携の独立した出典は未収集（資料は各社・各大学発表資料を出典とする）"

STATEMENTS: tuple[Statement, ...] = (
    # --- (参考）大学によるグローバル企業の資金受入れ: partnership amounts -------------------------------------
    Statement("fujitsu_nus", "partnership", "Fujitsu – National University of Singapore",
              "富士通 – シンガポール国立大学", "total investment", "合計投資金額",
              "5,400万シンガポールドル", "5,400万", "SGD", period="2014年から5年",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("fujitsu_nus_jpy", "partnership", "Fujitsu – National University of Singapore",
              "富士通 – シンガポール国立大学", "total investment, yen equivalent (deck)", "合計投資金額（円換算, 資料）",
              "5,400万シンガポールドル\n（約61億円）", "61億", "JPY", "approx", equivalent_of="fujitsu_nus",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("samsung_texas", "partnership", "Samsung – Texas A&M / UT Austin", "サムスン電子 – テキサスA&M大・テキサス大",
              "total support", "合計支援額", "• 470万USドル", "470万", "USD", year=2023, period="2023年",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("samsung_texas_jpy", "partnership", "Samsung – Texas A&M / UT Austin", "サムスン電子 – テキサスA&M大・テキサス大",
              "total support, yen equivalent (deck)", "合計支援額（円換算, 資料）", "（約7.1億円）", "7.1億", "JPY", "approx",
              year=2023, equivalent_of="samsung_texas", check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("samsung_tamu", "partnership", "Samsung – Texas A&M", "サムスン電子 – テキサスA&M大",
              "support (part)", "支援額（内訳）", "ログラムなどを支援（100万USドル）", "100万", "USD", year=2023,
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("samsung_ut", "partnership", "Samsung – UT Austin", "サムスン電子 – テキサス大",
              "support (part)", "支援額（内訳）", "人材育成や奨学金を支援（370万USドル）", "370万", "USD", year=2023,
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("imperial_japan", "partnership", "Imperial College London – Hitachi, MHI, Shionogi and others",
              "インペリアル・カレッジ・ロンドン – 日立・三菱重工・塩野義製薬等", "total", "総額",
              "• 総額1700万USドル", "1700万", "USD", period="10年間で25社以上と協業",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("imperial_japan_jpy", "partnership", "Imperial College London – Hitachi, MHI, Shionogi and others",
              "インペリアル・カレッジ・ロンドン – 日立・三菱重工・塩野義製薬等", "total, yen equivalent (deck)",
              "総額（円換算, 資料）", "総額1700万USドル\n（約25億円）", "25億", "JPY", "approx", equivalent_of="imperial_japan",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("imperial_japan_firms", "partnership", "Imperial College London – Hitachi, MHI, Shionogi and others",
              "インペリアル・カレッジ・ロンドン – 日立・三菱重工・塩野義製薬等", "partner firms over 10 years",
              "10年間の協業企業数", "10年間で25社以上と協業", "25", "count", "at_least",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("toyota_mit_stanford", "partnership", "Toyota – MIT / Stanford", "トヨタ自動車 – MIT・スタンフォード大",
              "total", "総額", "• 2015年から5年\n\n• 5000万USドル", "5000万", "USD", period="2015年から5年",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("toyota_mit_stanford_jpy", "partnership", "Toyota – MIT / Stanford", "トヨタ自動車 – MIT・スタンフォード大",
              "total, yen equivalent (deck)", "総額（円換算, 資料）", "（約76億円）", "76億", "JPY", "approx",
              equivalent_of="toyota_mit_stanford", check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("utokyo_chicago", "partnership", "UTokyo – UChicago – IBM / Google", "東京大学 – シカゴ大学 – IBM・Google",
              "total, two partnerships combined", "総額（2つのパートナーシップ合算）", "• 最大1億USドル", "1億", "USD", "max",
              year=2023, period="2023年から10年", check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("utokyo_chicago_jpy", "partnership", "UTokyo – UChicago – IBM / Google", "東京大学 – シカゴ大学 – IBM・Google",
              "total, yen equivalent (deck)", "総額（円換算, 資料）", "（約153億円）", "153億", "JPY", "approx", year=2023,
              equivalent_of="utokyo_chicago", check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("utokyo_ibm", "partnership", "IBM – UTokyo", "IBM – 東京大学", "investment over 10 years (part)",
              "10年間の投資額（内訳）", "IBMは東大に対して10年で5000万USドル規模を投資", "5000万", "USD", "approx",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("google_utokyo_chicago", "partnership", "Google – UTokyo and UChicago", "Google – 東京大学・シカゴ大学",
              "investment over 10 years (part)", "10年間の出資額（内訳）",
              "Googleは両大学に合わせて10年で最大5000万USドル規模の出資", "5000万", "USD", "max",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("osaka_chugai", "partnership", "Osaka University – Chugai Pharmaceutical", "大阪大学 – 中外製薬",
              "comprehensive agreement over 10 years", "10年間の包括連携契約", "10年間で総額100億円の免疫学研究", "100億",
              "JPY", year=2016, period="※2016年締結", check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("ntu_taiwan", "partnership", "National Taiwan University – TSMC and 3 other firms + government",
              "台湾大学 – TSMCなど4社・行政機関", "contribution (2022)", "拠出額（2022年）",
              "TSMCなど4社と行政機関が計8億円を拠出", "8億", "JPY", year=2022, period="2022年",
              check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("xpai_each", "partnership", "Tsukuba – Univ. of Washington – Amazon / NVIDIA (X-PAI)",
              "筑波大学 – ワシントン大学 – Amazon・NVIDIA (X-PAI)", "support from each company",
              "各社の支援額", "Amazon/NVIDIAが2500万ドル(約38億円)ずつ支援", "2500万", "USD", "each",
              period="10年間", check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    Statement("xpai_each_jpy", "partnership", "Tsukuba – Univ. of Washington – Amazon / NVIDIA (X-PAI)",
              "筑波大学 – ワシントン大学 – Amazon・NVIDIA (X-PAI)", "support from each company, yen equivalent (deck)",
              "各社の支援額（円換算, 資料）", "Amazon/NVIDIAが2500万ドル(約38億円)ずつ支援", "38億", "JPY", "approx",
              equivalent_of="xpai_each", check_note_en=_NA_PARTNER_EN, check_note_ja=_NA_PARTNER_JA),
    # --- 九州大学 法務統括室: case counts ---------------------------------------------------------------------
    Statement("kyushu_legal_2019", "kyushu", "Kyushu University, legal affairs", "九州大学 法務業務",
              "cases handled", "対応件数", "2019年（コロナ前）約500件", "500", "count", "approx", year=2019,
              check_note_en=_NA_KYUSHU_EN, check_note_ja=_NA_KYUSHU_JA),
    Statement("kyushu_legal_2023", "kyushu", "Kyushu University, legal affairs", "九州大学 法務業務",
              "cases handled", "対応件数", "⇒2023年 約850件に急増", "850", "count", "approx", year=2023,
              check_note_en=_NA_KYUSHU_EN, check_note_ja=_NA_KYUSHU_JA),
    Statement("kyushu_security_2019", "kyushu", "Kyushu University, security export control",
              "九州大学 安全保障管理業務", "cases handled", "対応件数", "2019年 約400件", "400", "count", "approx",
              year=2019, check_note_en=_NA_KYUSHU_EN, check_note_ja=_NA_KYUSHU_JA),
    Statement("kyushu_security_2023", "kyushu", "Kyushu University, security export control",
              "九州大学 安全保障管理業務", "cases handled", "対応件数", "⇒2023年 約900件に急増", "900", "count", "approx",
              year=2023, check_note_en=_NA_KYUSHU_EN, check_note_ja=_NA_KYUSHU_JA),
    # --- Quantonation (quantum-specialised VC) --------------------------------------------------------------
    Statement("quantonation_aum", "quantonation", "Quantonation", "Quantonation", "assets under management",
              "運用資産額", "運用資産額：€170M（約272億円）", "170M", "EUR",
              check_note_en="no assets-under-management figure in the collected sources",
              check_note_ja="収集した出典に運用資産額なし"),
    Statement("quantonation_aum_jpy", "quantonation", "Quantonation", "Quantonation",
              "assets under management, yen equivalent (deck)", "運用資産額（円換算, 資料）",
              "運用資産額：€170M（約272億円）", "272億", "JPY", "approx", equivalent_of="quantonation_aum",
              check_note_en="yen equivalent computed by the deck", check_note_ja="資料による円換算"),
    Statement("quantonation_public", "quantonation", "Quantonation", "Quantonation",
              "of which from public bodies", "うち政府系", "※うち、政府系から€50M（約80億円）", "50M", "EUR",
              check_note_en="only the EIF's €30m commitment to Fund II is in the sources (a blog rewrite, low "
                            "reliability), not the total from public bodies",
              check_note_ja="出典にあるのはEIFのFund IIへの3,000万ユーロ（低信頼のブログ）のみで、政府系合計ではない"),
    Statement("quantonation_fund1", "quantonation", "Quantonation I", "Quantonation Ⅰ", "fund size", "運用総額",
              "運用総額 €90.1M", "90.1M", "EUR", year=2018, period="2018年・5年",
              checks=(Check(("quantonation_fund_I_size",), 2018),)),
    Statement("quantonation_fund1_jpy", "quantonation", "Quantonation I", "Quantonation Ⅰ",
              "fund size, yen equivalent (deck)", "運用総額（円換算, 資料）", "運用総額 €90.1M\n（約144億円）", "144億",
              "JPY", "approx", year=2018, equivalent_of="quantonation_fund1",
              check_note_en="yen equivalent computed by the deck", check_note_ja="資料による円換算"),
    Statement("quantonation_fund2", "quantonation", "Quantonation II", "Quantonation Ⅱ", "fund size", "運用総額",
              "€200M\n（約320億円）", "200M", "EUR", year=2023, period="2023年・10年",
              checks=(Check(("quantonation_fund_II_final_close",), None,
                            note_en="final close as reported by one article (the sources conflict)",
                            note_ja="ファイナルクローズ（記事により異なる）"),
                      Check(("quantonation_fund_II_final_close_alt",), None,
                            note_en="final close as reported by another article (the sources conflict)",
                            note_ja="ファイナルクローズ（別記事）"))),
    Statement("quantonation_fund2_jpy", "quantonation", "Quantonation II", "Quantonation Ⅱ",
              "fund size, yen equivalent (deck)", "運用総額（円換算, 資料）", "€200M\n（約320億円）", "320億", "JPY",
              "approx", year=2023, equivalent_of="quantonation_fund2",
              check_note_en="yen equivalent computed by the deck", check_note_ja="資料による円換算"),
    Statement("quantonation_eur_rate", "quantonation", "Quantonation slide", "Quantonationのページ",
              "exchange rate used by the deck", "資料の換算レート", "※1ユーロ＝160円として換算", "160", "JPY/EUR",
              check_note_en="the deck's own conversion rate; the project holds no exchange-rate data",
              check_note_ja="資料独自の換算レート（為替データは未収録）"),
    # --- Fraunhofer ------------------------------------------------------------------------------------------
    Statement("fraunhofer_staff", "fraunhofer", "Fraunhofer-Gesellschaft", "フラウンホーファー", "staff", "人員",
              "• 約32,000 人", "32,000", "persons", "approx",
              checks=(Check(("fraunhofer_employees",), 2023),)),
    Statement("fraunhofer_institutes", "fraunhofer", "Fraunhofer-Gesellschaft", "フラウンホーファー",
              "institutes in Germany", "国内拠点数", "• 国内：76拠点(各分野に特化)", "76", "count",
              checks=(Check(("fraunhofer_institutes",), 2023),)),
    Statement("fraunhofer_budget_jpy", "fraunhofer", "Fraunhofer-Gesellschaft", "フラウンホーファー", "budget",
              "予算", "• 約4,500億円", "4,500億", "JPY", "approx",
              check_note_en="sources give the budget in EUR (total business volume €3.4bn, 2023); the deck states "
                            "no EUR rate for this figure and the project holds no exchange-rate data",
              check_note_ja="出典はユーロ建て（2023年 事業規模34億ユーロ）。資料はこの換算レートを示さず、為替データも未収録"),
    Statement("fraunhofer_one_third", "fraunhofer", "Fraunhofer-Gesellschaft", "フラウンホーファー",
              "target share of each funding source (Fraunhofer rule)", "各資金の割合（フラウンホーファールール）",
              "⇒各資金が1/3ずつの割合となることを基本とする", "1/3", "share",
              checks=(Check(("fraunhofer_industry_revenue",), 2023, ("fraunhofer_contract_research",),
                            note_en="industry revenue / contract research, 2023 (a principle vs an outcome)",
                            note_ja="2023年 産業界収入÷受託研究（原則と実績の比較）"),)),
    Statement("fraunhofer_private_band", "fraunhofer", "Fraunhofer-Gesellschaft", "フラウンホーファー",
              "private-income band outside which base funding is cut", "民間資金の割合の許容帯",
              "民間資金の割合が25-55％から外れると翌年の交付金が減", "25", "%", number_high="55",
              checks=(Check(("fraunhofer_industry_revenue",), 2023, ("fraunhofer_contract_research",),
                            note_en="industry revenue / contract research, 2023; agree = inside the band",
                            note_ja="2023年 産業界収入÷受託研究。agree = 許容帯の内側"),)),
    Statement("fraunhofer_startups_transfers", "fraunhofer", "Fraunhofer-Gesellschaft", "フラウンホーファー",
              "start-ups / technology transfers", "起業・技術移転", "520件の起業/技術移転", "520", "count",
              check_note_en="sources give annual spin-offs (23 in 2023), a different concept from the deck's "
                            "undated count",
              check_note_ja="出典は年間スピンオフ数（2023年 23件）で、資料の件数（時点不明）とは概念が異なる"),
    # --- UC Berkeley SkyDeck ---------------------------------------------------------------------------------
    Statement("skydeck_fund_assets", "skydeck", "Berkeley SkyDeck Fund", "SkyDeck Fund", "assets under management",
              "運用資産", "2024 年までに約8,500 万\nドルの資産を管理", "8,500 万", "USD", "approx", year=2024,
              checks=(Check(("skydeck_fund_I_size", "skydeck_fund_II_size"), (2018, 2022),
                            note_en="sum of Fund I ($24m, 2018) and Fund II ($60m, 2022) sizes: committed "
                                    "capital, not assets under management",
                            note_ja="Fund I（2018年）とFund II（2022年）の規模の合計。運用資産ではなく出資約束額"),)),
    Statement("skydeck_alumni_raised", "skydeck", "Berkeley SkyDeck", "SkyDeck", "cumulative funds raised by alumni",
              "プログラム卒業生の資金調達額（累計）", "金調達額は累計18億ドル", "18億", "USD",
              check_note_en="no independent source collected", check_note_ja="独立した出典は未収集"),
    Statement("skydeck_profit_share", "skydeck", "Berkeley SkyDeck Fund", "SkyDeck Fund",
              "share of fund profits returned to the university", "大学への利益還元割合", "利益の半分を大学に", "半分",
              "share",
              check_note_en="the sources state the 50-50 split only in a note, not as a value",
              check_note_ja="出典では注記（50-50）のみで数値としては未収録"),
    # --- US university-linked VC ---------------------------------------------------------------------------
    Statement("engine_fund", "us_vc", "The Engine (MIT)", "The Engine (MIT)", "total funds under management",
              "運用総額", "（運用総額は約10億ドル）", "10億", "USD", "approx",
              check_note_en="no independent source collected", check_note_ja="独立した出典は未収集"),
)

CONSISTENCY: tuple[Consistency, ...] = (
    Consistency("samsung_parts", "sum", ("samsung_tamu", "samsung_ut"), "samsung_texas",
                "Samsung: Texas A&M + UT Austin = total", "サムスン: テキサスA&M大 + テキサス大 = 合計"),
    Consistency("utokyo_parts", "sum", ("utokyo_ibm", "google_utokyo_chicago"), "utokyo_chicago",
                "UTokyo–Chicago: IBM + Google = total", "東大–シカゴ大: IBM + Google = 合計"),
    Consistency("quantonation_aum_yen", "convert", ("quantonation_aum", "quantonation_eur_rate"), "quantonation_aum_jpy",
                "Quantonation AUM × 160 JPY/EUR = yen figure", "Quantonation 運用資産額 × 160円/ユーロ = 円換算額"),
    Consistency("quantonation_public_yen", "convert", ("quantonation_public", "quantonation_eur_rate"), "",
                "Quantonation public money × 160 JPY/EUR = yen figure", "Quantonation 政府系 × 160円/ユーロ = 円換算額"),
    Consistency("quantonation_fund1_yen", "convert", ("quantonation_fund1", "quantonation_eur_rate"),
                "quantonation_fund1_jpy", "Quantonation I × 160 JPY/EUR = yen figure",
                "Quantonation Ⅰ × 160円/ユーロ = 円換算額"),
    Consistency("quantonation_fund2_yen", "convert", ("quantonation_fund2", "quantonation_eur_rate"),
                "quantonation_fund2_jpy", "Quantonation II × 160 JPY/EUR = yen figure",
                "Quantonation Ⅱ × 160円/ユーロ = 円換算額"),
)


def by_id(statement_id: str) -> Statement:
    """The registered statement with this id (``ParameterError`` listing the ids otherwise)."""
    for s in STATEMENTS:
        if s.id == statement_id:
            return s
    raise ParameterError("statement", statement_id, "unknown deck statement", [s.id for s in STATEMENTS])


def deck_path(raw: Path | None = None) -> Path:
    """Path of the vendored deck text, ``data/raw/deck/deck.txt``."""
    return (raw or paths.raw_dir()) / DECK_FILE


def deck_text(raw: Path | None = None) -> str:
    """The deck text (UTF-8), exactly as vendored."""
    path = deck_path(raw)
    if not path.exists():
        raise DataFileError(path, "deck text not found", hint="it is vendored in data/raw/deck/ (see its SOURCE.md)")
    return path.read_text(encoding="utf-8")


def check_topics(topics: object) -> list[str]:
    """Validate a ``topics`` parameter ('all' or a list of topic names)."""
    if topics == "all":
        return list(TOPICS)
    if isinstance(topics, str) or not isinstance(topics, (list, tuple)) or not topics:
        raise ParameterError("topics", topics, "expected 'all' or a non-empty list of topics", TOPICS)
    bad = [t for t in topics if t not in TOPICS]
    if bad:
        raise ParameterError("topics", bad[0], "unknown topic", TOPICS)
    return list(dict.fromkeys(topics))


def check_rel_tol(rel_tol: object) -> float:
    """Validate ``rel_tol`` (relative tolerance for 'agree'): a number in [0, 1)."""
    if isinstance(rel_tol, bool) or not isinstance(rel_tol, (int, float)) or not 0 <= rel_tol < 1:
        raise ParameterError("rel_tol", rel_tol, "expected a number in [0, 1), e.g. 0.05 for 5 %")
    return float(rel_tol)


def locate(text: str, statements: tuple[Statement, ...] = STATEMENTS) -> pd.DataFrame:
    """Where each quote occurs in the deck text: id, number of occurrences, character offset of the first."""
    rows = [{"id": s.id, "occurrences": text.count(s.quote), "offset": text.find(s.quote)} for s in statements]
    return pd.DataFrame(rows)


def registry_frame(lang: str = "ja", topics: object = "all") -> pd.DataFrame:
    """All statements as a table: value parsed from the quote, unit, qualifier, year, period and the quote."""
    keep = set(check_topics(topics))
    rows = []
    for s in STATEMENTS:
        if s.topic not in keep:
            continue
        rows.append({"id": s.id, "topic": s.topic, "subject": s.subject(lang), "quantity": s.quantity(lang),
                     "value": s.value, "value_high": s.value_high, "unit": s.unit, "qualifier": s.qualifier,
                     "year": s.year if s.year is not None else pd.NA, "period": s.period,
                     "equivalent_of": s.equivalent_of, "quote": " ".join(s.quote.split()),
                     "source": "METI deck (data/raw/deck/deck.txt)"})
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


def _source_value(japan: pd.DataFrame, indicators: tuple[str, ...], year: int | None | tuple[int | None, ...]
                  ) -> tuple[float | None, str, list[str], list[str], str]:
    """Sum of ``indicators`` in ``year``; returns (value, unit, source_ids, reliabilities, problem)."""
    vals, units, sids, rels = [], set(), [], []
    years = year if isinstance(year, tuple) else (year,) * len(indicators)
    for ind, year in zip(indicators, years, strict=True):
        rows = japan[japan["indicator"] == ind]
        rows = rows[rows["year"].isna()] if year is None else rows[rows["year"] == year]
        if rows.empty:
            when = "undated" if year is None else str(year)
            return None, "", [], [], f"{ind} ({when}) not in the data"
        if len(rows) > 1:
            return None, "", [], [], f"{ind} ({year}) has {len(rows)} rows; expected one"
        r = rows.iloc[0]
        vals.append(float(r["value"]))
        units.add(str(r["unit"]))
        sids.append(str(r["source_id"]))
        rels.append(str(r["reliability"]))
    if len(units) > 1:
        return None, "", [], [], f"units differ across {', '.join(indicators)}: {sorted(units)}"
    return sum(vals), units.pop(), sids, rels, ""


def crosscheck(japan: pd.DataFrame, rel_tol: float = DEFAULT_REL_TOL, lang: str = "en",
               topics: object = "all") -> pd.DataFrame:
    """Compare each statement with the collected sources (tidy ``japan`` frame, base units).

    One row per (statement, check); statements without a check get one ``not available`` row saying why.
    ``status`` is ``agree`` when |deck/source - 1| <= ``rel_tol`` (for a range statement: when the source value
    lies inside the range), ``differ`` otherwise, ``not available`` when the source value is missing.
    """
    rel_tol = check_rel_tol(rel_tol)
    keep = set(check_topics(topics))
    rows = []
    for s in STATEMENTS:
        if s.topic not in keep:
            continue
        base = {"id": s.id, "topic": s.topic, "subject": s.subject(lang), "quantity": s.quantity(lang),
                "deck_value": s.value, "deck_value_high": s.value_high, "unit": s.unit, "qualifier": s.qualifier}
        if not s.checks:
            rows.append({**base, "source_value": math.nan, "source_indicators": "", "source_year": pd.NA,
                         "source_ids": "", "reliability": "", "rel_diff": math.nan, "status": NOT_AVAILABLE,
                         "note": s.check_note_en if lang == "en" else s.check_note_ja})
            continue
        for c in s.checks:
            note = c.note_en if lang == "en" else c.note_ja
            val, unit, sids, rels, problem = _source_value(japan, c.numerator, c.year)
            if val is not None and c.denominator:
                den, dunit, dsids, drels, problem = _source_value(japan, c.denominator, c.year)
                if den is not None and dunit != unit:
                    den, problem = None, f"numerator unit {unit} differs from denominator unit {dunit}"
                if den is None or den == 0:
                    val = None
                    problem = problem or "denominator is zero"
                else:
                    val = val / den * (100.0 if s.unit == "%" else 1.0)
                    unit, sids, rels = s.unit, sids + dsids, rels + drels
            elif val is not None and unit != s.unit:
                problem, val = f"source unit {unit} differs from the deck's unit {s.unit}", None
            inds = " + ".join(c.numerator) + (f" / ({' + '.join(c.denominator)})" if c.denominator else "")
            yr = c.year if isinstance(c.year, int) else max(y for y in c.year if y) if isinstance(c.year, tuple) else None
            row = {**base, "source_indicators": inds, "source_year": yr if yr is not None else pd.NA,
                   "source_ids": "; ".join(dict.fromkeys(sids)), "reliability": "; ".join(dict.fromkeys(rels))}
            if val is None:
                rows.append({**row, "source_value": math.nan, "rel_diff": math.nan, "status": NOT_AVAILABLE,
                             "note": f"{note}; {problem}" if note else problem})
                continue
            if s.number_high:
                status = AGREE if s.value <= val <= s.value_high else DIFFER
                rel = math.nan
            else:
                rel = s.value / val - 1.0
                status = AGREE if abs(rel) <= rel_tol + 1e-12 else DIFFER
            rows.append({**row, "source_value": val, "rel_diff": rel, "status": status, "note": note})
    out = pd.DataFrame(rows)
    out["source_year"] = out["source_year"].astype("Int64")
    return out


def consistency(rel_tol: float = DEFAULT_REL_TOL, lang: str = "en") -> pd.DataFrame:
    """Check the deck against itself: parts that should add up, and yen figures at the rate the deck states.

    A ``convert`` check without a target compares with the yen figure quoted in the same statement's text
    (e.g. '€50M（約80億円）'), parsed from the quote.
    """
    rel_tol = check_rel_tol(rel_tol)
    rows = []
    for c in CONSISTENCY:
        parts = [by_id(p) for p in c.parts]
        if c.kind == "sum":
            computed = sum(p.value for p in parts)
        elif c.kind == "convert":
            computed = parts[0].value * parts[1].value
        else:
            raise ValueError(f"unknown consistency kind {c.kind!r}")
        if c.target:
            stated = by_id(c.target).value
        else:
            m = re.search(r"約([\d,.]+億)円", parts[0].quote)
            if not m:
                raise ValueError(f"{c.id}: no yen figure in the quote of {parts[0].id}")
            stated = parse_number(m.group(1))
        rel = stated / computed - 1.0
        rows.append({"id": c.id, "kind": c.kind, "check": c.label_en if lang == "en" else c.label_ja,
                     "computed": computed, "stated": stated, "rel_diff": rel,
                     "status": AGREE if abs(rel) <= rel_tol + 1e-12 else DIFFER})
    return pd.DataFrame(rows)


def implied_rates(lang: str = "en") -> pd.DataFrame:
    """Yen per unit of the original currency implied by each pair (amount, deck's yen equivalent).

    The deck does not state these rates (except 160 JPY/EUR on the Quantonation slide); they are computed from
    the two figures the deck gives, so they carry the rounding of both.
    """
    rows = []
    for s in STATEMENTS:
        if not s.equivalent_of:
            continue
        orig = by_id(s.equivalent_of)
        rows.append({"id": orig.id, "subject": orig.subject(lang), "amount": orig.value, "currency": orig.unit,
                     "jpy": s.value, "implied_jpy_per_unit": s.value / orig.value})
    return pd.DataFrame(rows)
