"""Names of codes in English and Japanese (the MSTI extract carries French labels; we map codes ourselves)."""

from __future__ import annotations

from .errors import ParameterError

LANGS = ("ja", "en")

# ISO3 / OECD area code -> (English, Japanese)
AREAS: dict[str, tuple[str, str]] = {
    "ARG": ("Argentina", "アルゼンチン"), "AUS": ("Australia", "オーストラリア"), "AUT": ("Austria", "オーストリア"),
    "BEL": ("Belgium", "ベルギー"), "BGR": ("Bulgaria", "ブルガリア"), "CAN": ("Canada", "カナダ"),
    "CHE": ("Switzerland", "スイス"), "CHL": ("Chile", "チリ"), "CHN": ("China", "中国"),
    "COL": ("Colombia", "コロンビア"), "CRI": ("Costa Rica", "コスタリカ"), "CZE": ("Czechia", "チェコ"),
    "DEU": ("Germany", "ドイツ"), "DNK": ("Denmark", "デンマーク"), "ESP": ("Spain", "スペイン"),
    "EST": ("Estonia", "エストニア"), "EU27_2020": ("EU27", "EU27"), "FIN": ("Finland", "フィンランド"),
    "FRA": ("France", "フランス"), "GBR": ("United Kingdom", "英国"), "GRC": ("Greece", "ギリシャ"),
    "HRV": ("Croatia", "クロアチア"), "HUN": ("Hungary", "ハンガリー"), "IRL": ("Ireland", "アイルランド"),
    "ISL": ("Iceland", "アイスランド"), "ISR": ("Israel", "イスラエル"), "ITA": ("Italy", "イタリア"),
    "JPN": ("Japan", "日本"), "KOR": ("Korea", "韓国"), "LTU": ("Lithuania", "リトアニア"),
    "LUX": ("Luxembourg", "ルクセンブルク"), "LVA": ("Latvia", "ラトビア"), "MEX": ("Mexico", "メキシコ"),
    "NLD": ("Netherlands", "オランダ"), "NOR": ("Norway", "ノルウェー"), "NZL": ("New Zealand", "ニュージーランド"),
    "OECD": ("OECD total", "OECD全体"), "POL": ("Poland", "ポーランド"), "PRT": ("Portugal", "ポルトガル"),
    "ROU": ("Romania", "ルーマニア"), "RUS": ("Russia", "ロシア"), "SGP": ("Singapore", "シンガポール"),
    "SVK": ("Slovak Republic", "スロバキア"), "SVN": ("Slovenia", "スロベニア"), "SWE": ("Sweden", "スウェーデン"),
    "TUR": ("Türkiye", "トルコ"), "TWN": ("Chinese Taipei (Taiwan)", "台湾"), "USA": ("United States", "米国"),
    "ZAF": ("South Africa", "南アフリカ"),
}
AGGREGATES = {"OECD", "EU27_2020"}


def check_lang(lang: str) -> str:
    """Validate a ``lang`` parameter."""
    if lang not in LANGS:
        raise ParameterError("lang", lang, "unknown language", LANGS)
    return lang


def area_name(code: str, lang: str = "en") -> str:
    """Display name of an area code; unknown codes raise ``ParameterError``."""
    check_lang(lang)
    if code not in AREAS:
        raise ParameterError("country", code, "unknown area code", sorted(AREAS))
    return AREAS[code][0 if lang == "en" else 1]


def text(en: str, ja: str, lang: str) -> str:
    """Pick the English or Japanese version of a label."""
    return en if check_lang(lang) == "en" else ja
